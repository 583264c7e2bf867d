{#- The file ledger: one row per bronze crawl file merged into int_observations_deduplicated, with
    the load batch that merged it. stg_crawl__observations reads only the bronze files not named here
    (macros/incremental/load_batches.sql `new_bronze_files`).

    Built after de-duplication (depends_on below): if a run fails before, its files are not recorded
    and the next run reads them again. A file with no rows is never recorded (and costs nothing to
    list again). -#}
-- depends_on: {{ ref('int_observations_deduplicated') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

with

batch_rows as (
    select bronze_file, loaded_at from {{ ref('stg_crawl__observations') }}
),

final as (
    select
        bronze_file,
        max(loaded_at) as loaded_at,
        cast(count(*) as {{ dbt.type_bigint() }}) as crawl_rows
    from batch_rows
    group by bronze_file
)

select * from final
