{#- How does the unit price (CNY per record) vary with freshness and lot size this quarter?
    Listings seen live in the quarter with a parsable, non-outlier latest price; quartiles are continuous.
    Lot size bands by records offered; unknown covers unlimited or unparsed quantities.
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

priced_listings as (

    select
        selected_quarter.quarter,
        coalesce(listings.freshness, 'unknown') as freshness,
        case
            when listings.records_offered is null then '5 unknown'
            when listings.records_offered < 1000 then '1 under 1k'
            when listings.records_offered < 10000 then '2 1k to 10k'
            when listings.records_offered < 100000 then '3 10k to 100k'
            else '4 100k and more'
        end as lot_size_band,
        listings.unit_price_cny
    from listings
    inner join selected_quarter
        on cast(listings.first_seen_at as date) < selected_quarter.quarter_end
        and cast(coalesce(listings.last_seen_at, listings.first_seen_at) as date) >= selected_quarter.quarter_start
    where listings.unit_price_cny is not null
        and not coalesce(listings.is_price_outlier, false)

),

final as (

    select
        quarter,
        freshness,
        lot_size_band,
        count(*) as priced_listings,
        {{ percentile_cont('unit_price_cny', 0.25) }} as price_p25_cny,
        {{ percentile_cont('unit_price_cny', 0.5) }} as price_median_cny,
        {{ percentile_cont('unit_price_cny', 0.75) }} as price_p75_cny
    from priced_listings
    group by quarter, freshness, lot_size_band

)

select * from final
order by freshness, lot_size_band
