{#- Which figures should an analyst distrust this quarter? Sites with missed crawl days, and whether their
    channel is low coverage (below var low_coverage_threshold) in mart_market_quarterly.
    A site is expected every day between its first and last crawl (SPEC §6).
    Quarter: var analysis_quarter, default the latest quarter with listings. -#}

with

coverage_daily as (

    select * from {{ ref('mart_crawl_coverage_daily') }}

),

market_quarterly as (

    select * from {{ ref('mart_market_quarterly') }}

),

selected_quarter as (

    {{ selected_quarter('market_quarterly', 'listings_active') }}

),

site_days as (

    select
        selected_quarter.quarter,
        coverage_daily.site,
        coverage_daily.channel,
        count(*) as days_expected,
        cast(sum(case when coverage_daily.is_crawled then 1 else 0 end) as {{ dbt.type_bigint() }}) as days_crawled,
        sum(coverage_daily.observations) as observations
    from coverage_daily
    inner join selected_quarter
        on coverage_daily.crawl_date >= selected_quarter.quarter_start
        and coverage_daily.crawl_date < selected_quarter.quarter_end
    group by selected_quarter.quarter, coverage_daily.site, coverage_daily.channel

),

channel_coverage as (

    select
        quarter,
        channel,
        coverage_ratio as channel_coverage_ratio,
        is_low_coverage as is_channel_low_coverage
    from market_quarterly
    where region_code = 'all'

),

final as (

    select
        site_days.quarter,
        site_days.site,
        site_days.channel,
        site_days.days_expected,
        site_days.days_crawled,
        site_days.days_expected - site_days.days_crawled as days_missed,
        1.0 * site_days.days_crawled / site_days.days_expected as site_coverage_ratio,
        cast(site_days.observations as {{ dbt.type_bigint() }}) as observations,
        channel_coverage.channel_coverage_ratio,
        channel_coverage.is_channel_low_coverage
    from site_days
    left join channel_coverage
        on channel_coverage.quarter = site_days.quarter
        and channel_coverage.channel = site_days.channel

)

select * from final
order by days_missed desc, site
