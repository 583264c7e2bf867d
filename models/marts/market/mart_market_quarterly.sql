{#- Quarter × region_code × channel market measures with roll-ups (see macros/marts/market_measures.sql),
    plus changes on the previous quarter and on the same quarter a year before. A change is not
    published (null) on a thin base (fewer than thin_base_min listings, or priced listings for
    price changes, on either side) or when either quarter is low-coverage (SPEC §6).
    Incremental (delete+insert on the quarter): a run recomputes the quarters whose measures can have
    changed and the quarters that compare with them, from the measures of those and of the quarters
    they compare with (macros/marts/market_periods.sql). Only the measures of the changed quarters are
    computed again from the listing quarters; the others' are read back from this table (a 100M daily
    run measured four quarters to publish one). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='quarter_start',
        on_schema_change='fail',
    )
}}
{%- set periods = market_periods_to_rebuild('quarter', comparison_months=[3, 12]) %}

{%- set measure_columns = [
    'quarter', 'quarter_start', 'region_code', 'channel', 'listings_active', 'listings_new',
    'listings_removed', 'sellers_active', 'records_offered', 'priced_listings', 'price_p25_cny',
    'price_median_cny', 'price_p75_cny', 'crawled_site_days', 'expected_site_days', 'coverage_ratio',
    'is_low_coverage', 'is_partial_period',
] %}

with

recomputed_measures as (

    {{ market_measures_sql('quarter', periods.changed if periods is not none else none) }}

),

market_measures as (

    select {{ measure_columns | join(', ') }} from recomputed_measures
    {%- if periods is not none and periods.kept %}
    union all
    -- the measures of the quarters this run does not change, as published
    select {{ measure_columns | join(', ') }} from {{ this }}
    where {{ in_literals('quarter_start', periods.kept) }}
    {%- endif %}

),

compared as (

    select
        current_quarter.*,
        previous_quarter.listings_active as prev_listings_active,
        previous_quarter.priced_listings as prev_priced_listings,
        previous_quarter.price_median_cny as prev_price_median_cny,
        previous_quarter.is_low_coverage as prev_is_low_coverage,
        year_before.listings_active as yoy_listings_active,
        year_before.priced_listings as yoy_priced_listings,
        year_before.price_median_cny as yoy_price_median_cny,
        year_before.is_low_coverage as yoy_is_low_coverage
    from market_measures as current_quarter
    left join market_measures as previous_quarter
        on
            previous_quarter.quarter_start = {{ add_months('current_quarter.quarter_start', -3) }}
            and current_quarter.region_code = previous_quarter.region_code
            and current_quarter.channel = previous_quarter.channel
    left join market_measures as year_before
        on
            year_before.quarter_start = {{ add_months('current_quarter.quarter_start', -12) }}
            and current_quarter.region_code = year_before.region_code
            and current_quarter.channel = year_before.channel

),

final as (

    select
        {%- for column in measure_columns %}
        {{ column }},
        {%- endfor %}
        cast(case
            when listings_active >= {{ var('thin_base_min') }}
                and prev_listings_active >= {{ var('thin_base_min') }}
                and not is_low_coverage and not prev_is_low_coverage
                then {{ pct_change('listings_active', 'prev_listings_active') }}
        end as {{ type_double_precision() }}) as listings_active_qoq_pct,
        cast(case
            when listings_active >= {{ var('thin_base_min') }}
                and yoy_listings_active >= {{ var('thin_base_min') }}
                and not is_low_coverage and not yoy_is_low_coverage
                then {{ pct_change('listings_active', 'yoy_listings_active') }}
        end as {{ type_double_precision() }}) as listings_active_yoy_pct,
        cast(case
            when priced_listings >= {{ var('thin_base_min') }}
                and prev_priced_listings >= {{ var('thin_base_min') }}
                and not is_low_coverage and not prev_is_low_coverage
                then {{ pct_change('price_median_cny', 'prev_price_median_cny') }}
        end as {{ type_double_precision() }}) as price_median_qoq_pct,
        cast(case
            when priced_listings >= {{ var('thin_base_min') }}
                and yoy_priced_listings >= {{ var('thin_base_min') }}
                and not is_low_coverage and not yoy_is_low_coverage
                then {{ pct_change('price_median_cny', 'yoy_price_median_cny') }}
        end as {{ type_double_precision() }}) as price_median_yoy_pct
    from compared
    {%- if periods is not none %}
    where {{ in_literals('quarter_start', periods.published) }}
    {%- endif %}

)

select * from final
