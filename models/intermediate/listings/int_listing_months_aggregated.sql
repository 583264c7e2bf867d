{#- Listing × Asia/Shanghai month state, aggregated from the listing's observations in the month:
    what int_listings_aggregated, the listing-period models and the site-day state need, so that they
    read this table (one row per listing and month) instead of every observation. Each "latest" value
    comes with the time of the observation that gave it (`*_at`), so the latest over several months,
    or over an earlier state and new observations, is the value with the greatest time: exactly the
    latest over their observations (a listing's fetch instants are unique).

    Incremental state (delete+insert on listing and month; docs/marts.md "Incremental runs"): a run
    reads only the rows of the new load batches of int_observations_deduplicated. Where they are new
    (listing, instant) keys, it merges their aggregate into the pair's row (minima, maxima, sums, day
    sets and latest-by-time combine exactly). Pairs with a re-chosen key (a re-delivered copy, which
    may change a value already aggregated) are recomputed from all their observations. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['listing_key', 'month_start'],
        on_schema_change='sync_all_columns',
    )
}}

{%- set deduplicated = ref('int_observations_deduplicated') %}

{%- if is_incremental() %}
{%- set rechosen_rows = count_rechosen_rows(deduplicated) %}
{%- set rechosen_months = new_batch_values(deduplicated, 'month_start') if rechosen_rows > 0 else [] %}

with

batch_rows as (

    -- the rows of the new load batches (DuckDB skips older row groups: loaded_at is a literal)
    select * from {{ deduplicated }}
    where {{ is_new_batch() }}

),

{%- if rechosen_rows > 0 %}

rechosen_pairs as (

    select distinct listing_key, month_start
    from batch_rows
    where not {{ is_new_key() }}

),

rechosen_observations as (

    -- every observation of a pair with a re-chosen key
    select deduplicated.*
    from {{ deduplicated }} as deduplicated
    inner join rechosen_pairs
        on
            deduplicated.listing_key = rechosen_pairs.listing_key
            and deduplicated.month_start = rechosen_pairs.month_start
    where {{ in_literals('deduplicated.month_start', rechosen_months) }}

),

recomputed as (
    {{ listing_month_states('rechosen_observations') }}
),

{%- endif %}

new_observations as (

    select batch_rows.*
    from batch_rows
    {%- if rechosen_rows > 0 %}
    left join rechosen_pairs
        on
            batch_rows.listing_key = rechosen_pairs.listing_key
            and batch_rows.month_start = rechosen_pairs.month_start
    where rechosen_pairs.listing_key is null
    {%- endif %}

),

new_states as (
    {{ listing_month_states('new_observations') }}
),

earlier_states as (

    -- the state so far of the pairs the new keys touch
    select {{ listing_month_state_columns('earlier') }}
    from {{ this }} as earlier
    inner join new_states
        on
            earlier.listing_key = new_states.listing_key
            and earlier.month_start = new_states.month_start

),

both_states as (

    select * from new_states
    union all
    select * from earlier_states

),

merged as (
    {{ listing_month_states_combined('both_states') }}
),

final as (

    select * from merged
    {%- if rechosen_rows > 0 %}
    union all
    select * from recomputed
    {%- endif %}

)

select * from final

{%- else %}

{{ listing_month_states(deduplicated) }}

{%- endif %}
