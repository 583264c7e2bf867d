{#- The ingest audit (SPEC §6 audit_ingest_files), typed and renamed; no joins. -#}

with

source as (

    select * from {{ source('audit', 'ingest_files') }}

),

renamed as (

    select
        cast(file_path as {{ dbt.type_string() }}) as file_path,
        cast(feed as {{ dbt.type_string() }}) as feed,
        cast(content_hash as {{ dbt.type_string() }}) as content_hash,
        cast(file_size as {{ dbt.type_bigint() }}) as file_size,
        cast(file_mtime as {{ dbt.type_timestamp() }}) as file_mtime,
        cast(encoding as {{ dbt.type_string() }}) as encoding,
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as rows_quarantined,
        cast(rows_duplicate as {{ dbt.type_bigint() }}) as rows_duplicate,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(unknown_columns as {{ dbt.type_string() }}) as unknown_columns,
        cast(ingest_run_id as {{ dbt.type_string() }}) as ingest_run_id,
        cast(ingested_at as {{ dbt.type_timestamp() }}) as ingested_at
    from source

)

select * from renamed
