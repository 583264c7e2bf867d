{#- One row per bronze incident version with normalized region, carrier and leak stage
    (docs/models_interface.md). Dictionary rules were applied once per distinct text in
    models/intermediate/normalized/; here they are joined back. -#}
with

incidents as (
    select * from {{ ref('stg_incidents__incidents') }}
),

locations as (
    select location_text, region_code, city_code from {{ ref('int_location_texts_normalized') }}
),

carriers as (
    select carrier_text, first_carrier_code from {{ ref('int_carrier_texts_normalized') }}
),

leak_stages as (
    select leak_stage_text, leak_stage from {{ ref('int_leak_stage_texts_normalized') }}
),

final as (
    select
        incidents.incident_version_id,
        incidents.incident_id,
        incidents.file_hash,
        incidents.file_path,
        incidents.file_mtime,
        incidents.line_no,
        incidents.row_hash,
        incidents.reported_at_text,
        incidents.reported_at,
        incidents.reported_date,
        incidents.updated_at_text,
        incidents.updated_at,
        incidents.source,
        incidents.province_text,
        incidents.city_text,
        coalesce(locations.region_code, 'unknown') as region_code,
        locations.city_code,
        incidents.carrier_text,
        coalesce(carriers.first_carrier_code, 'UNKNOWN') as carrier_code,
        incidents.leak_stage_text,
        coalesce(leak_stages.leak_stage, 'unknown') as leak_stage,
        incidents.records_affected_text,
        incidents.records_affected,
        incidents.status_text,
        incidents.status,
        incidents.has_description
    from incidents
    left join locations
        on incidents.location_lookup_text = locations.location_text
    left join carriers
        on incidents.carrier_text = carriers.carrier_text
    left join leak_stages
        on incidents.leak_stage_text = leak_stages.leak_stage_text
)

select * from final
