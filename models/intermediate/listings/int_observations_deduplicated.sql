{#- One observation per listing per fetch instant (SPEC §5): the same (listing_key, fetched_at)
    delivered twice (a re-delivered file, two crawlers watching the same site) counts once.

    Incremental and idempotent: a run re-examines every (listing, instant) touched by a bronze file
    it has not kept a row from yet, plus every instant within the look-back window of local fetch
    days (late re-deliveries), and re-ranks ALL candidate rows of those keys, so the winner is the
    one a full refresh would pick; delete+insert on the key replaces the earlier choice. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='observation_key',
        on_schema_change='sync_all_columns',
    )
}}

with

enriched as (

    select * from {{ ref('int_observations_enriched') }}

),

{% if is_incremental() %}

kept_files as (

    select distinct file_hash from {{ this }}

),

look_back as (

    select {{ add_days('max(fetched_date_local)', -1 * var('dedup_look_back_days')) }} as look_back_from
    from {{ this }}

),

touched_keys as (

    select distinct
        enriched.listing_key,
        enriched.fetched_at_utc
    from enriched
    cross join look_back
    left join kept_files
        on enriched.file_hash = kept_files.file_hash
    where
        kept_files.file_hash is null
        or look_back.look_back_from is null
        or enriched.fetched_date_local >= look_back.look_back_from

),

candidates as (

    select enriched.*
    from enriched
    inner join touched_keys
        on
            enriched.listing_key = touched_keys.listing_key
            and enriched.fetched_at_utc = touched_keys.fetched_at_utc

),

{% else %}

candidates as (

    select * from enriched

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
        count(*) over (
            partition by candidates.listing_key, candidates.fetched_at_utc
        ) as delivered_copies
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
        cast(delivered_copies as {{ dbt.type_bigint() }}) as delivered_copies
    from ranked
    where copy_rank = 1

)

select * from final
