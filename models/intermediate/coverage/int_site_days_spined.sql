{#- Every site × local day from the site's first to its last crawl (SPEC §6 coverage): the days
    a site was expected to be crawled, whether it was (is_crawled), and what the crawl saw. -#}

with

crawl_days as (

    select * from {{ ref('int_site_crawl_days_aggregated') }}

),

site_spans as (

    select
        site,
        max(channel) as channel,
        min(crawl_date) as first_crawl_date,
        max(crawl_date) as last_crawl_date
    from crawl_days
    group by site

),

day_numbers as (

    -- 0, 1, 2, …: a fixed series (no query at compile time, so `dbt compile` works on an empty
    -- database); var max_crawl_span_days bounds a site's span (default ~55 years)
    select generated_number - 1 as day_offset
    from ({{ dbt.generate_series(var('max_crawl_span_days', 20000)) }}) as series

),

expected_site_days as (

    select
        site_spans.site,
        site_spans.channel,
        {{ add_days('site_spans.first_crawl_date', 'day_numbers.day_offset') }} as crawl_date
    from site_spans
    inner join day_numbers
        on day_numbers.day_offset <= {{ dbt.datediff('site_spans.first_crawl_date', 'site_spans.last_crawl_date', 'day') }}

),

final as (

    select
        expected_site_days.site,
        expected_site_days.channel,
        expected_site_days.crawl_date,
        {{ period_columns('expected_site_days.crawl_date') }},
        crawl_days.crawl_date is not null as is_crawled,
        cast(coalesce(crawl_days.observations, 0) as {{ dbt.type_bigint() }}) as observations,
        cast(coalesce(crawl_days.listings_seen, 0) as {{ dbt.type_bigint() }}) as listings_seen,
        crawl_days.first_fetched_at_local
    from expected_site_days
    left join crawl_days
        on
            expected_site_days.site = crawl_days.site
            and expected_site_days.crawl_date = crawl_days.crawl_date

)

select * from final
