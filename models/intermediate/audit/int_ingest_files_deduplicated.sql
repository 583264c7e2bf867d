{#- One row per landed file (path and content), as first recorded by ingest: a later ingest run that
    sees the same file again adds no row to the audit mart. -#}

with

ingest_files as (

    select * from {{ ref('stg_audit__ingest_files') }}

),

first_records as (

    select
        ingest_files.*,
        row_number() over (
            partition by ingest_files.file_path, ingest_files.content_hash
            order by ingest_files.ingested_at, ingest_files.ingest_run_id
        ) as record_rank
    from ingest_files

),

final as (

    select
        file_path,
        feed,
        content_hash,
        file_size,
        file_mtime,
        encoding,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
        status,
        reason,
        unknown_columns,
        ingest_run_id,
        ingested_at
    from first_records
    where record_rank = 1

)

select * from final
