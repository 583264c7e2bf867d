{#- Site × local day on which the site was crawled (SPEC §5 "crawled day"): at least one valid row
    of the site, from any crawler, was fetched that Asia/Shanghai day. Counts include removal
    fetches. The earliest fetch of the day dates inferred removals (int_listings_aggregated).

    Incremental (delete+insert on site and day; docs/marts.md "Incremental runs"): a run recomputes
    the site-days whose rows in int_site_crawl_runs_aggregated it (re)wrote, from those run rows
    (observations, fetch range, distinct runs) and from the listing × month state (the listings whose
    set of observed days holds the day), never from the observations. A full build aggregates the
    observations directly. -#}
-- depends_on: {{ ref('int_site_crawl_runs_aggregated') }}
-- depends_on: {{ ref('int_listing_months_aggregated') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['site', 'crawl_date'],
        on_schema_change='sync_all_columns',
    )
}}

{%- if is_incremental() %}
{%- set runs_model = ref('int_site_crawl_runs_aggregated') %}
{%- set touched_months = new_batch_values(runs_model, month_start('crawl_date')) %}

with

touched_days as (

    select distinct site, crawl_date
    from {{ runs_model }}
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
    from {{ runs_model }} as runs
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
    inner join {{ ref('int_listing_months_aggregated') }} as listing_months
        on
            touched_days.site = listing_months.site
            and {{ month_start('touched_days.crawl_date') }} = listing_months.month_start
            and {{ bit_set_contains('listing_months.observed_days', 'extract(day from touched_days.crawl_date) - 1') }}
    where {{ in_literals('listing_months.month_start', touched_months) }}
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

{%- else %}

with

observations as (

    select * from {{ ref('int_observations_deduplicated') }}

),

final as (

    select
        site,
        fetched_date_local as crawl_date,
        max(channel) as channel,
        min(fetched_at_local) as first_fetched_at_local,
        max(fetched_at_local) as last_fetched_at_local,
        cast(count(*) as {{ dbt.type_bigint() }}) as observations,
        cast(count(distinct listing_key) as {{ dbt.type_bigint() }}) as listings_seen,
        cast(count(distinct run_id) as {{ dbt.type_bigint() }}) as crawl_runs,
        -- the latest load batch among the day's observations
        max(loaded_at) as loaded_at
    from observations
    group by site, fetched_date_local

)

select * from final

{%- endif %}
