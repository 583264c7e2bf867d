{#- One row per bronze case version with normalized agency and region (docs/models_interface.md).
    Dictionary rules were applied once per distinct text in models/intermediate/normalized/. -#}
with

cases as (
    select * from {{ ref('stg_cases__cases') }}
),

locations as (
    select location_text, region_code, city_code from {{ ref('int_location_texts_normalized') }}
),

agencies as (
    select agency_text, agency_code from {{ ref('int_agency_texts_normalized') }}
),

final as (
    select
        cases.case_version_id,
        cases.case_id,
        cases.file_hash,
        cases.file_path,
        cases.file_mtime,
        cases.line_no,
        cases.row_hash,
        cases.agency_text,
        coalesce(agencies.agency_code, 'UNKNOWN') as agency_code,
        cases.province_text,
        cases.city_text,
        coalesce(locations.region_code, 'unknown') as region_code,
        locations.city_code,
        cases.opened_on_text,
        cases.opened_date,
        cases.updated_at_text,
        cases.updated_at,
        cases.closed_on_text,
        cases.closed_date,
        cases.case_type_text,
        cases.case_type,
        cases.suspects_text,
        cases.suspects,
        cases.records_involved_text,
        cases.records_involved,
        cases.illegal_gain_cny_text,
        cases.illegal_gain_cny,
        cases.fine_cny_text,
        cases.fine_cny,
        cases.sites_shut_text,
        cases.sites_shut_count,
        cases.outcome_text,
        cases.outcome
    from cases
    left join locations
        on cases.location_lookup_text = locations.location_text
    left join agencies
        on cases.agency_text = agencies.agency_text
)

select * from final
