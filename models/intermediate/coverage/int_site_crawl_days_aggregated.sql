{#- Site × local day on which the site was crawled (SPEC §5 "crawled day"): at least one valid row
    of the site, from any crawler, was fetched that Asia/Shanghai day. Counts include removal
    fetches. The earliest fetch of the day dates inferred removals (int_listings_aggregated).

    From the two states, never from the observations: the day's runs (int_site_crawl_runs_aggregated:
    observations, fetch range, distinct runs) and the listing × month state (the listings whose set
    of observed days holds the day). A distinct count of listings over the observations took 30 s of
    a 100M full build; from the month state it takes 2 s, with the same rows.
    Incremental (delete+insert on site and day; docs/marts.md "Incremental runs"): a run recomputes
    the site-days whose rows in int_site_crawl_runs_aggregated it (re)wrote; a full build, all. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['site', 'crawl_date'],
        on_schema_change='sync_all_columns',
    )
}}

{%- set touched_months = new_batch_values(ref('int_site_crawl_runs_aggregated'), month_start('crawl_date')) %}

with

site_crawl_runs as (

    select * from {{ ref('int_site_crawl_runs_aggregated') }}

),

listing_months as (

    select * from {{ ref('int_listing_months_aggregated') }}
    {%- if is_incremental() %}
    where {{ in_literals('month_start', touched_months) }}
    {%- endif %}

),

touched_days as (

    select distinct site, crawl_date
    from site_crawl_runs
    where {{ is_new_batch() }}

),

day_totals as (

    select
        runs.site,
        runs.crawl_date,
        max(runs.channel) as channel,
        min(runs.first_fetched_at_local) as first_fetched_at_local,
        max(runs.last_fetched_at_local) as last_fetched_at_local,
        cast(sum(runs.observations) as {{ dbt.type_bigint() }}) as observations,
        cast(count(distinct runs.run_id) as {{ dbt.type_bigint() }}) as crawl_runs,
        max(runs.loaded_at) as loaded_at
    from site_crawl_runs as runs
    inner join touched_days
        on
            runs.site = touched_days.site
            and runs.crawl_date = touched_days.crawl_date
    group by runs.site, runs.crawl_date

),

day_listings as (

    -- listings observed on the day: their month's set of observed days holds it
    select
        touched_days.site,
        touched_days.crawl_date,
        cast(count(*) as {{ dbt.type_bigint() }}) as listings_seen
    from touched_days
    inner join listing_months
        on
            touched_days.site = listing_months.site
            and {{ month_start('touched_days.crawl_date') }} = listing_months.month_start
            and {{ bit_set_contains('listing_months.observed_days', 'extract(day from touched_days.crawl_date) - 1') }}
    group by touched_days.site, touched_days.crawl_date

),

final as (

    select
        day_totals.site,
        day_totals.crawl_date,
        day_totals.channel,
        day_totals.first_fetched_at_local,
        day_totals.last_fetched_at_local,
        day_totals.observations,
        coalesce(day_listings.listings_seen, 0) as listings_seen,
        day_totals.crawl_runs,
        day_totals.loaded_at
    from day_totals
    left join day_listings
        on
            day_totals.site = day_listings.site
            and day_totals.crawl_date = day_listings.crawl_date

)

select * from final
