{#- Which carriers do sale listings name most this quarter, against the incidents reported for them?
    A listing counts once for each carrier in its carrier_codes ('|'-joined); 'ALL' (listings that claim
    every carrier) is kept as its own row. Incidents: mart_incidents_quarterly (unfounded ones excluded).
    Quarter: var analysis_quarter, default the latest quarter with listings or incidents. -#}
{%- set analysis_quarter = var('analysis_quarter', none) -%}

with

listings as (

    select * from {{ ref('fct_listings') }}

),

carriers as (

    select * from {{ ref('dim_carriers') }}

),

incidents_quarterly as (

    select * from {{ ref('mart_incidents_quarterly') }}

),

market_quarterly as (

    select * from {{ ref('mart_market_quarterly') }}

),

quarters as (

    select quarter, quarter_start from market_quarterly where listings_active > 0
    union
    select quarter, quarter_start from incidents_quarterly where incidents > 0

),

selected_quarter as (

    select
        quarter,
        min(quarter_start) as quarter_start,
        min({{ add_months('quarter_start', 3) }}) as quarter_end
    from quarters
    where quarter = {% if analysis_quarter %}'{{ analysis_quarter }}'{% else %}(select max(quarter) from quarters){% endif %}
    group by quarter

),

listings_in_quarter as (

    select
        selected_quarter.quarter,
        listings.listing_key,
        {{ dbt.concat(["'|'", "coalesce(listings.carrier_codes, 'UNKNOWN')", "'|'"]) }} as carrier_codes_delimited
    from listings
    inner join selected_quarter
        on cast(listings.first_seen_at as date) < selected_quarter.quarter_end
        and cast(coalesce(listings.last_seen_at, listings.first_seen_at) as date) >= selected_quarter.quarter_start

),

listings_by_carrier as (

    select
        carriers.carrier_code,
        count(listings_in_quarter.listing_key) as listings_naming_carrier
    from carriers
    inner join listings_in_quarter
        on listings_in_quarter.carrier_codes_delimited like {{ dbt.concat(["'%|'", "carriers.carrier_code", "'|%'"]) }}
    group by carriers.carrier_code

),

incidents_by_carrier as (

    select
        incidents_quarterly.carrier_code,
        sum(incidents_quarterly.incidents) as incidents,
        sum(incidents_quarterly.records_affected) as records_affected
    from incidents_quarterly
    inner join selected_quarter
        on selected_quarter.quarter = incidents_quarterly.quarter
    group by incidents_quarterly.carrier_code

),

final as (

    select
        selected_quarter.quarter,
        coalesce(listings_by_carrier.carrier_code, incidents_by_carrier.carrier_code) as carrier_code,
        carriers.name_zh,
        carriers.name_en,
        coalesce(listings_by_carrier.listings_naming_carrier, 0) as listings_naming_carrier,
        cast(coalesce(incidents_by_carrier.incidents, 0) as {{ dbt.type_bigint() }}) as incidents,
        cast(incidents_by_carrier.records_affected as {{ dbt.type_bigint() }}) as records_affected,
        case
            when coalesce(incidents_by_carrier.incidents, 0) > 0
                then 1.0 * coalesce(listings_by_carrier.listings_naming_carrier, 0) / incidents_by_carrier.incidents
        end as listings_per_incident
    from listings_by_carrier
    full outer join incidents_by_carrier
        on incidents_by_carrier.carrier_code = listings_by_carrier.carrier_code
    left join carriers
        on carriers.carrier_code = coalesce(listings_by_carrier.carrier_code, incidents_by_carrier.carrier_code)
    cross join selected_quarter

)

select * from final
order by listings_naming_carrier desc, incidents desc, carrier_code
