{#- Quarter × channel (with 'all') price index (SPEC §6): 100 × the quarter's median unit price over
    the base quarter's median, per channel. The base quarter is var('price_index_base_quarter')
    (e.g. '2025Q1'); null means each channel's first quarter with a median. Changes follow the
    thin-base (priced listings) and low-coverage rules of the market marts. -#}

with

national_quarters as (

    select *
    from {{ ref('mart_market_quarterly') }}
    where region_code = 'all'

),

base_quarters as (

    select
        channel,
        {%- if var('price_index_base_quarter') %}
        '{{ var("price_index_base_quarter") }}' as base_quarter
        {%- else %}
        min(quarter) as base_quarter
        {%- endif %}
    from national_quarters
    where price_median_cny is not null
    group by channel

),

base_medians as (

    select
        base_quarters.channel,
        base_quarters.base_quarter,
        national_quarters.price_median_cny as base_price_median_cny
    from base_quarters
    inner join national_quarters
        on
            base_quarters.channel = national_quarters.channel
            and base_quarters.base_quarter = national_quarters.quarter

),

final as (

    select
        national_quarters.quarter,
        national_quarters.quarter_start,
        national_quarters.channel,
        national_quarters.priced_listings,
        national_quarters.price_p25_cny,
        national_quarters.price_median_cny,
        national_quarters.price_p75_cny,
        base_medians.base_quarter,
        cast(
            100.0 * national_quarters.price_median_cny / nullif(base_medians.base_price_median_cny, 0)
            as {{ type_double_precision() }}
        ) as price_index,
        national_quarters.price_median_qoq_pct as qoq_pct,
        national_quarters.price_median_yoy_pct as yoy_pct,
        national_quarters.coverage_ratio,
        national_quarters.is_low_coverage,
        national_quarters.is_partial_period
    from national_quarters
    left join base_medians
        on national_quarters.channel = base_medians.channel

)

select * from final
