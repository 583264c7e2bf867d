{#- Market measures per period × region_code × channel with roll-ups (SPEC §6), shared by
    mart_market_monthly and mart_market_quarterly. grain: 'month' or 'quarter'.

    Roll-ups: every listing-period row is counted four times, under its own region and channel,
    under region 'all', under channel 'all', and under both, so that every measure of a roll-up
    row (medians included) is computed on the pooled listings rather than re-aggregated; active
    sellers are counted distinct at each level, from the distinct sellers of each finest cell (by
    `seller_num`, the pseudonym's integer stand-in: one number per pseudonym).
    Rows: every region × channel with a listing in the period, and, for region 'all', every
    channel seen (and 'all') in every period from the first to the last crawl, zero-filled.
    `periods`: date literals of the periods to measure (an incremental run:
    macros/marts/market_periods.sql), or none for every period. -#}
{% macro market_measures_sql(grain, periods=none) %}
    {%- set spec = market_grain(grain) -%}
    {%- set listing_periods = spec.listing_periods -%}
    {%- set period_key = spec.period_key -%}
    {%- set period_months = spec.months -%}

with

listing_periods as (

    select * from {{ listing_periods }}
    {%- if periods is not none %}
    where {{ in_literals(period_key, periods) }}
    {%- endif %}

),

active_sellers as (

    {#- one row per period × region × channel × active seller, so that each roll-up level below
        counts distinct sellers over these rows alone: a distinct count over the four-fold rolled-up
        listing rows took 4.2 s of mart_market_monthly's 4.5 s at 100M observations. Read from the
        table, not from `listing_periods`: a second reader of that CTE made DuckDB materialize it,
        and the query then spilled more than 20 GB. -#}
    select distinct
        {{ period_key }} as period_start,
        region_code,
        channel,
        seller_num
    from {{ listing_periods }}
    where
        is_active
        and seller_num is not null
        {%- if periods is not none %}
        and {{ in_literals(period_key, periods) }}
        {%- endif %}

),

rollup_levels as (

    select 1 as by_region, 1 as by_channel
    union all
    select 0 as by_region, 1 as by_channel
    union all
    select 1 as by_region, 0 as by_channel
    union all
    select 0 as by_region, 0 as by_channel

),

listing_periods_rolled_up as (

    select
        listing_periods.{{ period_key }} as period_start,
        case when rollup_levels.by_region = 1 then listing_periods.region_code else 'all' end as region_code,
        case when rollup_levels.by_channel = 1 then listing_periods.channel else 'all' end as channel,
        listing_periods.is_active,
        listing_periods.is_new,
        listing_periods.is_removed,
        listing_periods.unit_price_cny,
        listing_periods.records_offered
    from listing_periods
    cross join rollup_levels

),

listing_measures as (

    select
        period_start,
        region_code,
        channel,
        sum(case when is_active then 1 else 0 end) as listings_active,
        sum(case when is_new then 1 else 0 end) as listings_new,
        sum(case when is_removed then 1 else 0 end) as listings_removed,
        sum(case when is_active then coalesce(records_offered, 0) else 0 end) as records_offered,
        count(unit_price_cny) as priced_listings,
        {{ percentile_cont('unit_price_cny', 0.25) }} as price_p25_cny,
        {{ percentile_cont('unit_price_cny', 0.5) }} as price_median_cny,
        {{ percentile_cont('unit_price_cny', 0.75) }} as price_p75_cny
    from listing_periods_rolled_up
    group by period_start, region_code, channel

),

seller_counts as (

    {%- for by_region, by_channel in [(true, true), (false, true), (true, false), (false, false)] %}
    select
        period_start,
        {{ 'region_code' if by_region else "'all'" }} as region_code,
        {{ 'channel' if by_channel else "'all'" }} as channel,
        {#- the rows are distinct at the finest level -#}
        {{ 'count(*)' if by_region and by_channel else 'count(distinct seller_num)' }} as sellers_active
    from active_sellers
    group by
        period_start
        {%- if by_region %}, region_code{% endif %}
        {%- if by_channel %}, channel{% endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

{{ market_coverage_ctes(grain) }},

row_keys as (

    select period_start, region_code, channel from listing_measures
    union
    select period_start, region_code, channel from national_grid
    {%- if periods is not none %}
    where {{ in_literals('period_start', periods) }}
    {%- endif %}

),

final as (

    select
        {%- if grain == 'month' %}
        row_keys.period_start as month_start,
        {%- endif %}
        {{ quarter_label('row_keys.period_start') }} as quarter,
        {{ quarter_start('row_keys.period_start') }} as quarter_start,
        row_keys.region_code,
        row_keys.channel,
        cast(coalesce(listing_measures.listings_active, 0) as {{ dbt.type_bigint() }}) as listings_active,
        cast(coalesce(listing_measures.listings_new, 0) as {{ dbt.type_bigint() }}) as listings_new,
        cast(coalesce(listing_measures.listings_removed, 0) as {{ dbt.type_bigint() }}) as listings_removed,
        cast(coalesce(seller_counts.sellers_active, 0) as {{ dbt.type_bigint() }}) as sellers_active,
        cast(coalesce(listing_measures.records_offered, 0) as {{ dbt.type_bigint() }}) as records_offered,
        cast(coalesce(listing_measures.priced_listings, 0) as {{ dbt.type_bigint() }}) as priced_listings,
        cast(listing_measures.price_p25_cny as {{ type_double_precision() }}) as price_p25_cny,
        cast(listing_measures.price_median_cny as {{ type_double_precision() }}) as price_median_cny,
        cast(listing_measures.price_p75_cny as {{ type_double_precision() }}) as price_p75_cny,
        cast(coalesce(coverage.crawled_site_days, 0) as {{ dbt.type_bigint() }}) as crawled_site_days,
        cast(coalesce(coverage.expected_site_days, 0) as {{ dbt.type_bigint() }}) as expected_site_days,
        cast(
            1.0 * coverage.crawled_site_days / nullif(coverage.expected_site_days, 0)
            as {{ type_double_precision() }}
        ) as coverage_ratio,
        -- no expected site-day at all is no coverage: low
        coalesce(
            1.0 * coverage.crawled_site_days / nullif(coverage.expected_site_days, 0)
            < {{ var('low_coverage_threshold') }},
            true
        ) as is_low_coverage,
        -- the period is only partly inside the crawled span (the first or the latest period)
        {{ is_partial_period('row_keys.period_start', period_months) }} as is_partial_period
    from row_keys
    cross join crawl_span
    left join listing_measures
        on
            row_keys.period_start = listing_measures.period_start
            and row_keys.region_code = listing_measures.region_code
            and row_keys.channel = listing_measures.channel
    left join seller_counts
        on
            row_keys.period_start = seller_counts.period_start
            and row_keys.region_code = seller_counts.region_code
            and row_keys.channel = seller_counts.channel
    left join coverage
        on
            row_keys.period_start = coverage.period_start
            and row_keys.channel = coverage.channel

)

select * from final
{% endmacro %}

{#- Site-day coverage per period × channel (and channel 'all'), the crawled span, and the national
    grid (every channel seen in every period): CTEs shared by the market measures and the check of
    which periods an incremental run must recompute (macros/marts/market_periods.sql). -#}
{% macro market_coverage_ctes(grain) %}
{%- set period_key = market_grain(grain).period_key -%}
site_days as (

    select * from {{ ref('int_site_days_spined') }}

),

site_days_rolled_up as (

    select
        {{ period_key }} as period_start,
        channel,
        is_crawled
    from site_days
    union all
    select
        {{ period_key }} as period_start,
        'all' as channel,
        is_crawled
    from site_days

),

coverage as (

    -- a period pools its site-days: crawled over expected, over the channel's sites
    select
        period_start,
        channel,
        sum(case when is_crawled then 1 else 0 end) as crawled_site_days,
        count(*) as expected_site_days
    from site_days_rolled_up
    group by period_start, channel

),

crawl_span as (

    select
        min(crawl_date) as first_crawl_date,
        max(crawl_date) as last_crawl_date
    from site_days

),

national_grid as (

    -- region 'all' has a row for every channel seen in every period (zero when nothing was on sale)
    select distinct
        periods.period_start,
        'all' as region_code,
        channels.channel
    from coverage as periods
    cross join coverage as channels

)
{%- endmacro %}
