{#- Which sellers (pseudonymous seller_key) had active listings on two or more sites this quarter?
    The same handle on two sites is the same seller (SPEC §5). A listing counts as active in the quarter
    when it was seen live in it (first seen before the quarter's end, last seen live after its start).
    Quarter: var analysis_quarter, default the latest quarter with listings. -#}

with

listings as (

    select * from {{ ref('fct_listings') }}

),

market_quarterly as (

    select * from {{ ref('mart_market_quarterly') }}

),

selected_quarter as (

    {{ selected_quarter('market_quarterly', 'listings_active') }}

),

listings_in_quarter as (

    select
        selected_quarter.quarter,
        listings.seller_key,
        listings.site,
        listings.channel,
        listings.listing_key,
        listings.records_offered
    from listings
    inner join selected_quarter
        on cast(listings.first_seen_at as date) < selected_quarter.quarter_end
        and cast(coalesce(listings.last_seen_at, listings.first_seen_at) as date) >= selected_quarter.quarter_start
    where listings.seller_key is not null

),

seller_sites as (

    select distinct
        seller_key,
        site
    from listings_in_quarter

),

site_lists as (

    select
        seller_key,
        {{ dbt.listagg('site', "', '", 'order by site') }} as sites
    from seller_sites
    group by seller_key

),

sellers as (

    select
        quarter,
        seller_key,
        count(distinct site) as sites_count,
        count(distinct channel) as channels_count,
        count(*) as listings,
        cast(sum(coalesce(records_offered, 0)) as {{ dbt.type_bigint() }}) as records_offered
    from listings_in_quarter
    group by quarter, seller_key
    having count(distinct site) >= 2

),

final as (

    select
        sellers.quarter,
        sellers.seller_key,
        sellers.sites_count,
        sellers.channels_count,
        sellers.listings,
        sellers.records_offered,
        site_lists.sites
    from sellers
    inner join site_lists
        on site_lists.seller_key = sellers.seller_key

)

select * from final
order by sites_count desc, listings desc, seller_key
