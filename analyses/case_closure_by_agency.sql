{#- How fast do agencies close cases, and with what outcome?
    Cases closed in the quarter (by closed_date, as cases_closed in mart_enforcement_quarterly), per agency:
    days from opening to closing, outcomes, fines and sites shut.
    Quarter: var analysis_quarter, default the latest quarter with a closed case. -#}

with

cases as (

    select * from {{ ref('fct_cases') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}

),

enforcement_quarterly as (

    select * from {{ ref('mart_enforcement_quarterly') }}

),

selected_quarter as (

    {{ selected_quarter('enforcement_quarterly', 'cases_closed') }}

),

closed_cases as (

    select
        selected_quarter.quarter,
        cases.agency_code,
        cases.outcome,
        cases.case_type,
        cases.fine_cny,
        cases.sites_shut_count,
        {{ dbt.datediff('cases.opened_date', 'cases.closed_date', 'day') }} as days_to_close
    from cases
    inner join selected_quarter
        on cases.closed_date >= selected_quarter.quarter_start
        and cases.closed_date < selected_quarter.quarter_end

),

by_agency as (

    select
        quarter,
        agency_code,
        count(*) as cases_closed,
        cast(sum(case when case_type = 'criminal' then 1 else 0 end) as {{ dbt.type_bigint() }}) as criminal_cases,
        cast(
            sum(case when outcome in ('prosecuted', 'convicted', 'penalized') then 1 else 0 end)
            as {{ dbt.type_bigint() }}
        ) as cases_sanctioned,
        cast(sum(case when outcome = 'dropped' then 1 else 0 end) as {{ dbt.type_bigint() }}) as cases_dropped,
        {{ percentile_cont('days_to_close', 0.5) }} as days_to_close_median,
        max(days_to_close) as days_to_close_max,
        sum(fine_cny) as fines_cny,
        cast(sum(coalesce(sites_shut_count, 0)) as {{ dbt.type_bigint() }}) as sites_shut
    from closed_cases
    group by quarter, agency_code

),

final as (

    select
        by_agency.quarter,
        by_agency.agency_code,
        agencies.name_zh,
        agencies.name_en,
        by_agency.cases_closed,
        by_agency.criminal_cases,
        by_agency.cases_sanctioned,
        by_agency.cases_dropped,
        by_agency.days_to_close_median,
        by_agency.days_to_close_max,
        by_agency.fines_cny,
        by_agency.sites_shut
    from by_agency
    left join agencies
        on agencies.agency_code = by_agency.agency_code

)

select * from final
order by cases_closed desc, agency_code
