{#- Site × crawled local day × crawl run: the observations each run of a site contributed that
    Asia/Shanghai day (the winning copy's run), with the earliest and last fetch. The state behind
    int_site_crawl_days_aggregated: a day's observations, fetch range and distinct runs combine
    exactly from these rows.

    Incremental state (delete+insert on site and day; docs/marts.md "Incremental runs"): a run reads
    only the rows of the new load batches of int_observations_deduplicated. New (listing, instant) keys
    are added to the rows of their site-days (counts summed, minima and maxima); site-days with a
    re-chosen key (a re-delivered copy may belong to another run) are recomputed from all their
    observations. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['site', 'crawl_date'],
        on_schema_change='sync_all_columns',
    )
}}

{%- set deduplicated = ref('int_observations_deduplicated') %}

{%- if is_incremental() %}
{%- set rechosen_rows = count_rechosen_rows(deduplicated) %}
{%- set batch_days = new_batch_values(deduplicated, 'fetched_date_local') if rechosen_rows > 0 else [] %}

with

batch_rows as (

    -- the rows of the new load batches (DuckDB skips older row groups: loaded_at is a literal)
    select * from {{ deduplicated }}
    where {{ is_new_batch() }}

),

{%- if rechosen_rows > 0 %}

rechosen_days as (

    select distinct site, fetched_date_local
    from batch_rows
    where not {{ is_new_key() }}

),

rechosen_observations as (

    -- every observation of a site-day with a re-chosen key
    select deduplicated.*
    from {{ deduplicated }} as deduplicated
    inner join rechosen_days
        on
            deduplicated.site = rechosen_days.site
            and deduplicated.fetched_date_local = rechosen_days.fetched_date_local
    where {{ in_literals('deduplicated.fetched_date_local', batch_days) }}

),

recomputed as (
    {{ site_crawl_runs('rechosen_observations') }}
),

{%- endif %}

new_observations as (

    select batch_rows.*
    from batch_rows
    {%- if rechosen_rows > 0 %}
    left join rechosen_days
        on
            batch_rows.site = rechosen_days.site
            and batch_rows.fetched_date_local = rechosen_days.fetched_date_local
    where rechosen_days.site is null
    {%- endif %}

),

new_runs as (
    {{ site_crawl_runs('new_observations') }}
),

touched_days as (

    select distinct site, crawl_date
    from new_runs

),

earlier_runs as (

    -- every run row so far of the site-days the new keys touch (delete+insert replaces the day)
    select
        earlier.site,
        earlier.crawl_date,
        earlier.run_id,
        earlier.channel,
        earlier.first_fetched_at_local,
        earlier.last_fetched_at_local,
        earlier.observations,
        earlier.loaded_at
    from {{ this }} as earlier
    inner join touched_days
        on
            earlier.site = touched_days.site
            and earlier.crawl_date = touched_days.crawl_date

),

both_runs as (

    select * from new_runs
    union all
    select * from earlier_runs

),

merged as (

    select
        site,
        crawl_date,
        run_id,
        max(channel) as channel,
        min(first_fetched_at_local) as first_fetched_at_local,
        max(last_fetched_at_local) as last_fetched_at_local,
        cast(sum(observations) as {{ dbt.type_bigint() }}) as observations,
        max(loaded_at) as loaded_at
    from both_runs
    group by site, crawl_date, run_id

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

{{ site_crawl_runs(deduplicated) }}

{%- endif %}
