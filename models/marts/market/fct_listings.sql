{#- One row per listing (SPEC §5, §6). Times are Asia/Shanghai wall time;
    the period columns (month_start, quarter, quarter_start) are those of first_seen_at.
    Built after the market marts (depends_on below), a scheduling choice only: beside
    int_listing_months_summarized it took 10× longer and slowed that model too (docs/marts.md
    "Scheduling the heavy models"). -#}
-- depends_on: {{ ref('mart_market_quarterly') }}

with

listings as (

    select * from {{ ref('int_listings_aggregated') }}

),

final as (

    select
        listing_key,
        site,
        channel,
        seller_key,
        region_code,
        city_code,
        carrier_codes,
        freshness,
        cast(unit_price_cny as {{ type_double_precision() }}) as unit_price_cny,
        is_price_outlier,
        cast(records_offered as {{ dbt.type_bigint() }}) as records_offered,
        first_seen_at,
        last_seen_at,
        removed_at,
        is_removal_inferred,
        observation_count,
        sample_record_count,
        has_unmasked_samples,
        {{ period_columns('cast(first_seen_at as date)') }},
        cast(removed_at as date) as removed_date,
        removed_at is null as is_live
    from listings

)

select * from final
