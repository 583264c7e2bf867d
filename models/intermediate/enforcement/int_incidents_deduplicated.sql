{#- The latest version of each incident (SPEC §3): greatest updated_at (a missing updated_at is the
    oldest), then the file landed last (modification time, then path), then the later line.
    Re-delivered and overlapping exports therefore never double-count. -#}

with

versions as (

    select * from {{ ref('int_incidents_normalized') }}

),

ranked as (

    select
        versions.*,
        row_number() over (
            partition by versions.incident_id
            order by
                case when versions.updated_at is null then 0 else 1 end desc,
                versions.updated_at desc,
                versions.file_mtime desc,
                versions.file_path desc,
                versions.line_no desc
        ) as version_rank,
        count(*) over (partition by versions.incident_id) as version_count
    from versions

),

final as (

    select
        incident_version_id,
        incident_id,
        file_hash,
        file_path,
        file_mtime,
        line_no,
        reported_at,
        reported_date,
        updated_at,
        source,
        province_text,
        city_text,
        region_code,
        city_code,
        carrier_text,
        carrier_code,
        leak_stage_text,
        leak_stage,
        records_affected_text,
        records_affected,
        status,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count
    from ranked
    where version_rank = 1

)

select * from final
