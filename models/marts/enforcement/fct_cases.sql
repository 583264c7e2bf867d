{#- One row per enforcement case, its latest version (SPEC §3.3, §6). Period columns are those of the
    opening date (cases count in the quarter they were opened); closed_quarter dates the closure. -#}

with

cases as (

    select * from {{ ref('int_cases_deduplicated') }}

),

final as (

    select
        case_id,
        agency_code,
        region_code,
        city_code,
        opened_date,
        closed_date,
        case_type,
        cast(suspects as {{ dbt.type_bigint() }}) as suspects,
        cast(records_involved as {{ dbt.type_bigint() }}) as records_involved,
        cast(illegal_gain_cny as {{ type_double_precision() }}) as illegal_gain_cny,
        cast(fine_cny as {{ type_double_precision() }}) as fine_cny,
        cast(sites_shut_count as {{ dbt.type_bigint() }}) as sites_shut_count,
        outcome,
        {{ period_columns('opened_date') }},
        case when closed_date is not null then {{ quarter_label('closed_date') }} end as closed_quarter,
        updated_at,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count
    from cases

)

select * from final
