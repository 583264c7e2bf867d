{#- One observation per listing per fetch instant (SPEC §5): the same (listing_key, fetched_at)
    delivered twice (a re-delivered file, two crawlers watching the same site) counts once.

    Incremental and idempotent: a run takes the enriched rows of the load batches it has not seen
    (the bronze files staging loaded since; macros/incremental/load_batches.sql) and, for every
    (listing, instant) they touch, ranks them together with the copy kept so far, which stands for
    the `delivered_copies` it already counted. Every bronze row enters exactly once, whatever its
    fetch date, so a late file of any age and a re-delivery are merged exactly as a full build would
    rank them (no look-back window is needed); delete+insert on the key replaces the earlier choice.
    `first_loaded_at` tells the state models downstream a new key from a re-chosen one. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='observation_key',
        on_schema_change='sync_all_columns',
    )
}}

{%- set columns = [
    'observation_id', 'listing_key', 'site', 'channel', 'listing_id', 'url_normalized', 'run_id',
    'crawler', 'file_hash', 'file_path', 'file_mtime', 'line_no', 'fetched_at_utc', 'fetched_at_local',
    'fetched_date_local', 'seller_key', 'contact_key', 'title', 'price_text', 'unit_price',
    'price_currency', 'unit_price_cny', 'is_price_outlier', 'quantity_text', 'records_offered',
    'location_text', 'region_code', 'city_code', 'carrier_text', 'carrier_codes', 'freshness_text',
    'freshness', 'sample_record_count', 'has_unmasked_samples', 'status', 'http_status',
    'is_removal_fetch', 'loaded_at',
] %}

with

new_rows as (

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(1 as {{ dbt.type_bigint() }}) as copies,
        loaded_at as first_loaded_at
    from {{ ref('int_observations_enriched') }}
    where {{ is_new_batch() }}

),

{% if is_incremental() %}

touched_keys as (

    select distinct listing_key, fetched_at_utc
    from new_rows

),

kept_rows as (

    -- the copy kept so far of each touched (listing, instant), standing for all copies counted so far
    select
        {%- for column in columns %}
        kept.{{ column }},
        {%- endfor %}
        kept.delivered_copies as copies,
        kept.first_loaded_at
    from {{ this }} as kept
    inner join touched_keys
        on
            kept.listing_key = touched_keys.listing_key
            and kept.fetched_at_utc = touched_keys.fetched_at_utc

),

candidates as (

    select * from new_rows
    union all
    select * from kept_rows

),

{% else %}

candidates as (

    select * from new_rows

),

{% endif %}

ranked as (

    -- the copy delivered first wins (earliest landed file, then path, then line): stable across runs
    select
        candidates.*,
        row_number() over (
            partition by candidates.listing_key, candidates.fetched_at_utc
            order by candidates.file_mtime, candidates.file_path, candidates.line_no
        ) as copy_rank,
        sum(candidates.copies) over (
            partition by candidates.listing_key, candidates.fetched_at_utc
        ) as delivered_copies,
        max(candidates.loaded_at) over (
            partition by candidates.listing_key, candidates.fetched_at_utc
        ) as batch_loaded_at,
        min(candidates.first_loaded_at) over (
            partition by candidates.listing_key, candidates.fetched_at_utc
        ) as key_first_loaded_at
    from candidates

),

final as (

    select
        {{ dbt.hash(dbt.concat(["listing_key", "'|'", "cast(fetched_at_utc as " ~ dbt.type_string() ~ ")"])) }}
            as observation_key,
        observation_id,
        listing_key,
        site,
        channel,
        listing_id,
        url_normalized,
        run_id,
        crawler,
        file_hash,
        file_path,
        file_mtime,
        line_no,
        fetched_at_utc,
        fetched_at_local,
        fetched_date_local,
        {{ period_columns('fetched_date_local') }},
        seller_key,
        contact_key,
        title,
        price_text,
        unit_price,
        price_currency,
        unit_price_cny,
        is_price_outlier,
        quantity_text,
        records_offered,
        location_text,
        region_code,
        city_code,
        carrier_text,
        carrier_codes,
        freshness_text,
        freshness,
        sample_record_count,
        has_unmasked_samples,
        status,
        http_status,
        is_removal_fetch,
        cast(delivered_copies as {{ dbt.type_bigint() }}) as delivered_copies,
        -- the latest load batch that delivered a copy: the run that (re)chose this row
        batch_loaded_at as loaded_at,
        -- the load batch that first delivered this (listing, instant): later batches only re-chose it
        key_first_loaded_at as first_loaded_at
    from ranked
    where copy_rank = 1

)

select * from final
