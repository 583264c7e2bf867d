{#- Listing × period state (SPEC §5), shared by the month and quarter models.
    grain: 'month' or 'quarter'. A listing has a row for every period it was observed in and for
    the period it was removed in (an inferred removal can fall in a period without observations). -#}
{% macro listing_periods_sql(grain) %}
    {%- if grain == 'month' -%}
        {%- set period_of = month_start -%}
    {%- else -%}
        {%- set period_of = quarter_start -%}
    {%- endif %}

with

observations as (

    select * from {{ ref('int_observations_deduplicated') }}

),

listings as (

    select * from {{ ref('int_listings_aggregated') }}

),

observations_in_periods as (

    select
        listing_key,
        {{ period_of('fetched_date_local') }} as period_start,
        fetched_at_local,
        seller_key,
        records_offered,
        unit_price_cny,
        is_price_outlier,
        -- live on sale: status active or sold out, and not a removal fetch (404/410 never counts)
        coalesce(status, 'active') in ('active', 'sold_out') and not is_removal_fetch as is_live
    from observations

),

observed_periods as (

    select
        listing_key,
        period_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as observations,
        max(case when is_live then 1 else 0 end) = 1 as is_active
    from observations_in_periods
    group by listing_key, period_start

),

period_prices as (

    -- the last parsable, non-outlier unit price of the period (live fetches only)
    select listing_key, period_start, unit_price_cny
    from (
        select
            listing_key,
            period_start,
            unit_price_cny,
            row_number() over (
                partition by listing_key, period_start order by fetched_at_local desc
            ) as recency
        from observations_in_periods
        where is_live and unit_price_cny is not null and not coalesce(is_price_outlier, false)
    ) as ranked
    where recency = 1

),

period_quantities as (

    -- the last quantity parsed in the period (live fetches only)
    select listing_key, period_start, records_offered
    from (
        select
            listing_key,
            period_start,
            records_offered,
            row_number() over (
                partition by listing_key, period_start order by fetched_at_local desc
            ) as recency
        from observations_in_periods
        where is_live and records_offered is not null
    ) as ranked
    where recency = 1

),

period_sellers as (

    select listing_key, period_start, seller_key
    from (
        select
            listing_key,
            period_start,
            seller_key,
            row_number() over (
                partition by listing_key, period_start order by fetched_at_local desc
            ) as recency
        from observations_in_periods
        where seller_key is not null
    ) as ranked
    where recency = 1

),

removal_periods as (

    select
        listing_key,
        {{ period_of('cast(removed_at as date)') }} as period_start
    from listings
    where removed_at is not null

),

listing_period_keys as (

    select listing_key, period_start from observed_periods
    union
    select listing_key, period_start from removal_periods

),

final as (

    select
        listing_period_keys.listing_key,
        {%- if grain == 'month' %}
        listing_period_keys.period_start as month_start,
        {%- endif %}
        {{ quarter_label('listing_period_keys.period_start') }} as quarter,
        {{ quarter_start('listing_period_keys.period_start') }} as quarter_start,
        listings.site,
        listings.channel,
        listings.region_code,
        listings.city_code,
        coalesce(period_sellers.seller_key, listings.seller_key) as seller_key,
        observed_periods.listing_key is not null as is_observed,
        coalesce(observed_periods.is_active, false) as is_active,
        {{ period_of('cast(listings.first_seen_at as date)') }} = listing_period_keys.period_start as is_new,
        coalesce(
            {{ period_of('cast(listings.removed_at as date)') }} = listing_period_keys.period_start, false
        ) as is_removed,
        listings.is_removal_inferred and removal_periods.listing_key is not null as is_removal_inferred,
        period_prices.unit_price_cny,
        period_quantities.records_offered,
        cast(coalesce(observed_periods.observations, 0) as {{ dbt.type_bigint() }}) as observations
    from listing_period_keys
    inner join listings
        on listing_period_keys.listing_key = listings.listing_key
    left join observed_periods
        on
            listing_period_keys.listing_key = observed_periods.listing_key
            and listing_period_keys.period_start = observed_periods.period_start
    left join removal_periods
        on
            listing_period_keys.listing_key = removal_periods.listing_key
            and listing_period_keys.period_start = removal_periods.period_start
    left join period_prices
        on
            listing_period_keys.listing_key = period_prices.listing_key
            and listing_period_keys.period_start = period_prices.period_start
    left join period_quantities
        on
            listing_period_keys.listing_key = period_quantities.listing_key
            and listing_period_keys.period_start = period_quantities.period_start
    left join period_sellers
        on
            listing_period_keys.listing_key = period_sellers.listing_key
            and listing_period_keys.period_start = period_sellers.period_start

)

select * from final
{% endmacro %}
