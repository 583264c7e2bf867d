{#- Quarter × region_code × agency_code enforcement (SPEC §6). A case counts in the quarter it was
    opened, with its suspects, records, gains, fines and sites shut; cases_closed counts it again in
    the quarter it was closed. Unknown amounts add nothing (count as 0). -#}

with

cases as (

    select * from {{ ref('fct_cases') }}

),

opened as (

    select
        quarter_start,
        region_code,
        agency_code,
        count(*) as cases_opened,
        sum(suspects) as suspects,
        sum(records_involved) as records_involved,
        sum(illegal_gain_cny) as illegal_gain_cny,
        sum(fine_cny) as fines_cny,
        sum(sites_shut_count) as sites_shut
    from cases
    group by quarter_start, region_code, agency_code

),

closed as (

    select
        {{ quarter_start('closed_date') }} as quarter_start,
        region_code,
        agency_code,
        count(*) as cases_closed
    from cases
    where closed_date is not null
    group by {{ quarter_start('closed_date') }}, region_code, agency_code

),

row_keys as (

    select quarter_start, region_code, agency_code from opened
    union
    select quarter_start, region_code, agency_code from closed

),

final as (

    select
        {{ quarter_label('row_keys.quarter_start') }} as quarter,
        row_keys.quarter_start,
        row_keys.region_code,
        row_keys.agency_code,
        cast(coalesce(opened.cases_opened, 0) as {{ dbt.type_bigint() }}) as cases_opened,
        cast(coalesce(closed.cases_closed, 0) as {{ dbt.type_bigint() }}) as cases_closed,
        cast(coalesce(opened.suspects, 0) as {{ dbt.type_bigint() }}) as suspects,
        cast(coalesce(opened.records_involved, 0) as {{ dbt.type_bigint() }}) as records_involved,
        cast(coalesce(opened.illegal_gain_cny, 0) as {{ type_double_precision() }}) as illegal_gain_cny,
        cast(coalesce(opened.fines_cny, 0) as {{ type_double_precision() }}) as fines_cny,
        cast(coalesce(opened.sites_shut, 0) as {{ dbt.type_bigint() }}) as sites_shut
    from row_keys
    left join opened
        on
            row_keys.quarter_start = opened.quarter_start
            and row_keys.region_code = opened.region_code
            and row_keys.agency_code = opened.agency_code
    left join closed
        on
            row_keys.quarter_start = closed.quarter_start
            and row_keys.region_code = closed.region_code
            and row_keys.agency_code = closed.agency_code

)

select * from final
