{#- Which provinces gained or lost the most active listings this quarter, against the previous one?
    Quarter: var analysis_quarter (e.g. 2026Q3), default the latest quarter with listings. -#}
{%- set analysis_quarter = var('analysis_quarter', none) -%}

with

market_quarterly as (

    select * from {{ ref('mart_market_quarterly') }}

),

regions as (

    select * from {{ ref('dim_regions') }}

),

selected_quarter as (

    select
        quarter,
        min(quarter_start) as quarter_start
    from market_quarterly
    where quarter = {% if analysis_quarter %}'{{ analysis_quarter }}'{% else %}(
        select max(quarter) from market_quarterly where listings_active > 0
    ){% endif %}
    group by quarter

),

province_rows as (

    select
        quarter_start,
        region_code,
        listings_active,
        is_low_coverage
    from market_quarterly
    where channel = 'all'
        and region_code not in ('all', 'multi', 'national', 'unknown')

),

compared as (

    select
        selected_quarter.quarter,
        current_rows.region_code,
        current_rows.listings_active,
        coalesce(previous_rows.listings_active, 0) as listings_active_previous,
        current_rows.listings_active - coalesce(previous_rows.listings_active, 0) as listings_active_change,
        {{ pct_change('current_rows.listings_active', 'previous_rows.listings_active') }} as listings_active_change_pct,
        current_rows.listings_active < {{ var('thin_base_min') }}
            or coalesce(previous_rows.listings_active, 0) < {{ var('thin_base_min') }} as is_thin_base,
        coalesce(current_rows.is_low_coverage, false)
            or coalesce(previous_rows.is_low_coverage, false) as is_low_coverage
    from selected_quarter
    inner join province_rows as current_rows
        on current_rows.quarter_start = selected_quarter.quarter_start
    left join province_rows as previous_rows
        on previous_rows.region_code = current_rows.region_code
        and previous_rows.quarter_start = {{ add_months('selected_quarter.quarter_start', -3) }}

),

final as (

    select
        compared.quarter,
        compared.region_code,
        regions.name_zh,
        regions.name_en,
        compared.listings_active,
        compared.listings_active_previous,
        compared.listings_active_change,
        compared.listings_active_change_pct,
        compared.is_thin_base,
        compared.is_low_coverage
    from compared
    left join regions
        on regions.region_code = compared.region_code

)

select * from final
order by abs(listings_active_change) desc, region_code
