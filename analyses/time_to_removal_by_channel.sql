{#- How long do listings stay up before they are removed, per channel?
    Listings removed in the quarter (by the local date of removed_at, as listings_removed in the marts):
    days from first seen to removed, and how many removals were inferred from absence (SPEC §5).
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

removed_listings as (

    select
        selected_quarter.quarter,
        listings.channel,
        listings.is_removal_inferred,
        {{ dbt.datediff('cast(listings.first_seen_at as date)', 'cast(listings.removed_at as date)', 'day') }}
            as days_to_removal
    from listings
    inner join selected_quarter
        on cast(listings.removed_at as date) >= selected_quarter.quarter_start
        and cast(listings.removed_at as date) < selected_quarter.quarter_end

),

final as (

    select
        quarter,
        channel,
        count(*) as listings_removed,
        cast(sum(case when is_removal_inferred then 1 else 0 end) as {{ dbt.type_bigint() }}) as removals_inferred,
        {{ percentile_cont('days_to_removal', 0.5) }} as days_to_removal_median,
        {{ percentile_cont('days_to_removal', 0.75) }} as days_to_removal_p75,
        max(days_to_removal) as days_to_removal_max
    from removed_listings
    group by quarter, channel

)

select * from final
order by listings_removed desc, channel
