{#- One observation per listing per fetch instant (SPEC §5): the same (listing_key, fetched_at)
    delivered twice (a re-delivered file, two crawlers watching the same site) counts once.

    Incremental and idempotent: a run takes the enriched rows of the load batches it has not seen
    (the bronze files staging loaded since; macros/incremental/load_batches.sql) and, for every
    (listing, instant) they touch, ranks them together with the copy kept so far, which stands for
    the `delivered_copies` it already counted. Every bronze row enters exactly once, whatever its
    fetch date, so a late file of any age and a re-delivery are merged exactly as a full build would
    rank them (no look-back window is needed); delete+insert on the key replaces the earlier choice.
    `first_loaded_at` tells the state models downstream a new key from a re-chosen one.
    A full build ranks only the copies of keys delivered more than once (see below): ranking every
    row spilled ~40 GB to disk at 100M rows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='observation_key',
        on_schema_change='sync_all_columns',
        pre_hook="{{ waybill_watch.keep_subplans_inlined() if not is_incremental() }}",
        post_hook="{{ waybill_watch.restore_subplan_optimizer() if not is_incremental() }}",
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

new_rows as {% if not is_incremental() %}{{ waybill_watch.inlined_cte() }} {% endif %}(

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

{{ ranked_copies('candidates') }}

{% else %}

{#- A full build: most (listing, instant) keys are delivered once, and ranking every row (a window
    over the whole table) spills all of it to disk: ~40 GB at 100M rows, more than this machine
    had. Only the rows of keys delivered more than once are ranked; the others are their key's
    only copy. Repeated keys are found by a 64-bit hash of the key (a collision only sends a few
    single copies through the ranking, which keeps them). The row CTEs read more than once are
    inlined (`inlined_cte`, and DuckDB's common-subplan optimizer is off for a full build: both
    would store every row once more, in the temp directory). -#}
repeated_key_hashes as (

    select {{ waybill_watch.hash64(['listing_key', 'fetched_at_utc']) }} as key_hash
    from new_rows
    group by {{ waybill_watch.hash64(['listing_key', 'fetched_at_utc']) }}
    having count(*) > 1

),

flagged_rows as {{ waybill_watch.inlined_cte() }} (

    select
        new_rows.*,
        repeated_key_hashes.key_hash is not null as is_repeated_key
    from new_rows
    left join repeated_key_hashes
        on {{ waybill_watch.hash64(['new_rows.listing_key', 'new_rows.fetched_at_utc']) }} = repeated_key_hashes.key_hash

),

candidates as (

    -- the copies of repeated keys, to be ranked
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        copies,
        first_loaded_at
    from flagged_rows
    where is_repeated_key

),

{{ ranked_copies('candidates') }}

single_copies as (

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        copies,
        first_loaded_at,
        cast(1 as {{ dbt.type_bigint() }}) as copy_rank,
        copies as delivered_copies,
        loaded_at as batch_loaded_at,
        first_loaded_at as key_first_loaded_at
    from flagged_rows
    where not is_repeated_key

),

{% endif %}

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
    from (
        select * from ranked
        {%- if not is_incremental() %}
        union all
        select * from single_copies
        {%- endif %}
    ) as chosen
    where copy_rank = 1

)

select * from final
