{#- One row per distinct crawl freshness_text: realtime / recent / historical / unknown
    (SPEC §4; macros/normalize/freshness.sql).
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

observations as (
    select freshness_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

texts as (
    {{ texts_not_yet_known('observations', 'freshness_text') }}
),

cleaned as (
    select
        freshness_text,
        {{ waybill_watch.parse_ready_text('freshness_text') }} as clean_text
    from texts
),

final as (
    select
        freshness_text,
        {{ waybill_watch.freshness_category('clean_text') }} as freshness,
        {{ load_batch_at() }} as loaded_at
    from cleaned
)

select * from final
