{#- Quarter × province (SPEC §6): one row per quarter with any data for each of the 31 mainland
    province-level divisions, plus Hong Kong, Macau and Taiwan in quarters where they have data.
    Listings and prices are those of the market mart (all channels), so the figures agree;
    incidents exclude unfounded ones. Population: 2020 census (dim_regions). -#}

with

regions as (

    select * from {{ ref('dim_regions') }}

),

market_quarters as (

    select * from {{ ref('mart_market_quarterly') }}

),

enforcement as (

    select * from {{ ref('mart_enforcement_quarterly') }}

),

incidents as (

    select * from {{ ref('mart_incidents_quarterly') }}

),

market as (

    select *
    from market_quarters
    where channel = 'all' and region_code <> 'all'

),

provinces as (

    select
        region_code,
        name_zh,
        name_en,
        is_mainland,
        population_2020
    from regions
    where region_code not in ('all', 'multi', 'national', 'unknown')

),

quarters as (

    select quarter_start from market_quarters
    union
    select quarter_start from enforcement
    union
    select quarter_start from incidents

),

cases_by_region as (

    select quarter_start, region_code, sum(cases_opened) as cases_opened
    from enforcement
    group by quarter_start, region_code

),

incidents_by_region as (

    select quarter_start, region_code, sum(incidents) as incidents
    from incidents
    group by quarter_start, region_code

),

province_quarters as (

    select
        quarters.quarter_start,
        provinces.region_code,
        provinces.name_zh,
        provinces.name_en,
        provinces.is_mainland,
        provinces.population_2020,
        coalesce(market.listings_active, 0) as listings_active,
        coalesce(market.priced_listings, 0) as priced_listings,
        market.price_median_cny,
        coalesce(cases_by_region.cases_opened, 0) as cases_opened,
        coalesce(incidents_by_region.incidents, 0) as incidents,
        market.region_code is not null
        or cases_by_region.region_code is not null
        or incidents_by_region.region_code is not null as has_data
    from quarters
    cross join provinces
    left join market
        on
            quarters.quarter_start = market.quarter_start
            and provinces.region_code = market.region_code
    left join cases_by_region
        on
            quarters.quarter_start = cases_by_region.quarter_start
            and provinces.region_code = cases_by_region.region_code
    left join incidents_by_region
        on
            quarters.quarter_start = incidents_by_region.quarter_start
            and provinces.region_code = incidents_by_region.region_code

),

final as (

    select
        {{ quarter_label('quarter_start') }} as quarter,
        quarter_start,
        region_code,
        name_zh,
        name_en,
        is_mainland,
        cast(population_2020 as {{ dbt.type_bigint() }}) as population_2020,
        cast(listings_active as {{ dbt.type_bigint() }}) as listings_active,
        cast(
            1e7 * listings_active / nullif(population_2020, 0) as {{ type_double_precision() }}
        ) as listings_per_10m_population,
        cast(priced_listings as {{ dbt.type_bigint() }}) as priced_listings,
        cast(price_median_cny as {{ type_double_precision() }}) as price_median_cny,
        cast(cases_opened as {{ dbt.type_bigint() }}) as cases_opened,
        cast(incidents as {{ dbt.type_bigint() }}) as incidents
    from province_quarters
    where is_mainland or has_data

)

select * from final
