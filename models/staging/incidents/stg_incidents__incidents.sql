{#- One row per bronze incident version: renamed, typed, amounts and status normalized per row
    (raw text kept beside each value). Location, carrier and leak stage are dictionary rules,
    applied once per distinct text in models/intermediate/normalized/. -#}
with

source as (
    select * from {{ source('incidents', 'incidents') }}
),

renamed as (
    select
        {{ bronze_file_columns() }}
        trim(cast(incident_id as {{ dbt.type_string() }})) as incident_id,
        cast(reported_at_text as {{ dbt.type_string() }}) as reported_at_text,
        cast(reported_at as {{ dbt.type_timestamp() }}) as reported_at,
        cast(updated_at_text as {{ dbt.type_string() }}) as updated_at_text,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(province as {{ dbt.type_string() }}) as province_text,
        cast(city as {{ dbt.type_string() }}) as city_text,
        cast(carrier as {{ dbt.type_string() }}) as carrier_text,
        cast(leak_stage as {{ dbt.type_string() }}) as leak_stage_text,
        cast(status as {{ dbt.type_string() }}) as status_text,
        cast(records_affected as {{ dbt.type_string() }}) as records_affected_text,
        cast(has_description as {{ dbt.type_boolean() }}) as has_description
    from source
),

final as (
    select
        {{ waybill_watch.row_version_id('file_hash', 'line_no') }} as incident_version_id,
        *,
        cast(reported_at as date) as reported_date,
        {{ waybill_watch.normalize_count('records_affected_text') }} as records_affected,
        {{ waybill_watch.location_lookup_text('province_text', 'city_text') }} as location_lookup_text,
        case
            when lower(trim(status_text)) in ('open', 'new', 'pending', '待处理', '处理中', '未处理', '新建') then 'open'
            when lower(trim(status_text)) in ('verified', 'confirmed', '已核实', '核实', '属实', '已确认') then 'verified'
            when lower(trim(status_text)) in ('unfounded', 'rejected', 'false', '不属实', '查无实据', '未核实') then 'unfounded'
            when lower(trim(status_text)) in ('closed', 'resolved', 'done', '已关闭', '关闭', '已办结', '办结', '已结案') then 'closed'
            else 'unknown'
        end as status
    from renamed
)

select * from final
