{#- Every site: registered ones (seed, overridden by RAW/sites.csv) and sites seen in crawls but
    registered nowhere (channel unknown, registered_in unregistered). -#}
with

registered as (
    select * from {{ ref('int_sites_registered') }}
),

site_crawl_days as (
    select site from {{ ref('int_site_crawl_days_aggregated') }}
),

crawled_sites as (
    select distinct site from site_crawl_days where site is not null
),

unregistered as (
    select
        crawled_sites.site,
        'unknown' as channel,
        cast(null as {{ dbt.type_string() }}) as name,
        'unregistered' as registered_in
    from crawled_sites
    left join registered
        on crawled_sites.site = registered.site
    where registered.site is null
),

final as (
    select site, channel, name, registered_in from registered
    union all
    select site, channel, name, registered_in from unregistered
)

select * from final
