{#- One row per landed file (SPEC §6): what ingest read, loaded, quarantined and skipped, and why. -#}

with

ingest_files as (

    select * from {{ ref('int_ingest_files_deduplicated') }}

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
    from ingest_files

)

select * from final
