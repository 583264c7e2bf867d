{#- Site × local day on which the site was crawled (SPEC §5 "crawled day"): at least one valid row
    of the site, from any crawler, was fetched that Asia/Shanghai day. Counts include removal
    fetches. The earliest fetch of the day dates inferred removals (int_listings_aggregated). -#}

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
        cast(count(distinct run_id) as {{ dbt.type_bigint() }}) as crawl_runs
    from observations
    group by site, fetched_date_local

)

select * from final
