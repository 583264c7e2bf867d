{#- Site × Asia/Shanghai local day, every day from the site's first to its last crawl (SPEC §6). -#}

with

site_days as (

    select * from {{ ref('int_site_days_spined') }}

),

final as (

    select
        site,
        channel,
        crawl_date,
        month_start,
        quarter,
        quarter_start,
        is_crawled,
        observations,
        listings_seen
    from site_days

)

select * from final
