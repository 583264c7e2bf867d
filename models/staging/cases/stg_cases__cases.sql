{#- One row per bronze case version: renamed, typed, amounts, case type, outcome and sites shut
    normalized per row (raw text kept beside each value). Agency and location are dictionary
    rules, applied once per distinct text in models/intermediate/normalized/. -#}
with

source as (
    select * from {{ source('cases', 'cases') }}
),

renamed as (
    select
        {{ bronze_file_columns() }}
        trim(cast(case_id as {{ dbt.type_string() }})) as case_id,
        cast(agency as {{ dbt.type_string() }}) as agency_text,
        cast(province as {{ dbt.type_string() }}) as province_text,
        cast(city as {{ dbt.type_string() }}) as city_text,
        cast(case_type as {{ dbt.type_string() }}) as case_type_text,
        cast(outcome as {{ dbt.type_string() }}) as outcome_text,
        cast(opened_on_text as {{ dbt.type_string() }}) as opened_on_text,
        cast(opened_on as date) as opened_date,
        cast(updated_at_text as {{ dbt.type_string() }}) as updated_at_text,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(closed_on_text as {{ dbt.type_string() }}) as closed_on_text,
        cast(closed_on as date) as closed_date,
        cast(suspects as {{ dbt.type_string() }}) as suspects_text,
        cast(records_involved as {{ dbt.type_string() }}) as records_involved_text,
        cast(illegal_gain_cny as {{ dbt.type_string() }}) as illegal_gain_cny_text,
        cast(fine_cny as {{ dbt.type_string() }}) as fine_cny_text,
        cast(sites_shut as {{ dbt.type_string() }}) as sites_shut_text
    from source
),

final as (
    select
        {{ waybill_watch.row_version_id('file_hash', 'line_no') }} as case_version_id,
        *,
        {{ waybill_watch.normalize_count('suspects_text') }} as suspects,
        {{ waybill_watch.normalize_count('records_involved_text') }} as records_involved,
        {{ waybill_watch.normalize_amount('illegal_gain_cny_text') }} as illegal_gain_cny,
        {{ waybill_watch.normalize_amount('fine_cny_text') }} as fine_cny,
        coalesce({{ waybill_watch.count_distinct_split('sites_shut_text', "';'") }}, 0) as sites_shut_count,
        {{ waybill_watch.location_lookup_text('province_text', 'city_text') }} as location_lookup_text,
        case
            when lower(trim(case_type_text)) in ('criminal', '刑事', '刑事案件') then 'criminal'
            when lower(trim(case_type_text)) in ('administrative', '行政', '行政案件', '行政处罚') then 'administrative'
            else 'unknown'
        end as case_type,
        case
            when lower(trim(outcome_text)) in ('pending', '待定', '侦查中', '办理中', '审理中', '在办', '调查中') then 'pending'
            when lower(trim(outcome_text)) in ('prosecuted', '已起诉', '起诉', '移送起诉', '提起公诉') then 'prosecuted'
            when lower(trim(outcome_text)) in ('convicted', '已判决', '判决', '有罪判决', '判刑', '定罪') then 'convicted'
            when lower(trim(outcome_text)) in ('penalized', 'penalised', 'fined', '已处罚', '处罚', '罚款', '行政处罚') then 'penalized'
            when lower(trim(outcome_text)) in ('dropped', 'withdrawn', '撤案', '已撤案', '撤销', '不起诉', '终止') then 'dropped'
            else 'unknown'
        end as outcome
    from renamed
)

select * from final
