{#- The latest version of each case (SPEC §3): greatest updated_at (a missing updated_at is the
    oldest), then the file landed last (modification time, then path), then the later line.
    Re-delivered and overlapping exports therefore never double-count. -#}

with

versions as (

    select * from {{ ref('int_cases_normalized') }}

),

ranked as (

    select
        versions.*,
        row_number() over (
            partition by versions.case_id
            order by
                case when versions.updated_at is null then 0 else 1 end desc,
                versions.updated_at desc,
                versions.file_mtime desc,
                versions.file_path desc,
                versions.line_no desc
        ) as version_rank,
        count(*) over (partition by versions.case_id) as version_count
    from versions

),

final as (

    select
        case_version_id,
        case_id,
        file_hash,
        file_path,
        file_mtime,
        line_no,
        agency_text,
        agency_code,
        province_text,
        city_text,
        region_code,
        city_code,
        opened_date,
        updated_at,
        closed_date,
        case_type,
        suspects,
        records_involved,
        illegal_gain_cny,
        fine_cny,
        sites_shut_text,
        sites_shut_count,
        outcome,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count
    from ranked
    where version_rank = 1

)

select * from final
