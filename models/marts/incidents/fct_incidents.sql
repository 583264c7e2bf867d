{#- One row per incident, its latest version (SPEC §3.2, §6), unfounded ones included (status tells);
    the marts leave unfounded incidents out. Period columns are those of the reported date. -#}

with

incidents as (

    select * from {{ ref('int_incidents_deduplicated') }}

),

final as (

    select
        incident_id,
        reported_date,
        reported_at,
        source,
        region_code,
        city_code,
        carrier_code,
        leak_stage,
        cast(records_affected as {{ dbt.type_bigint() }}) as records_affected,
        status,
        coalesce(status, 'unknown') <> 'unfounded' as is_counted,
        {{ period_columns('reported_date') }},
        updated_at,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count
    from incidents

)

select * from final
