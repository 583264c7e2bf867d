{#- One row per distinct crawl quantity_text: the number of records on offer (SPEC §4;
    macros/normalize/quantity.sql); null when unlimited or no number.
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

observations as (
    select quantity_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

texts as (
    {{ texts_not_yet_known('observations', 'quantity_text') }}
),

cleaned as (
    select
        quantity_text,
        {{ waybill_watch.parse_ready_text('quantity_text') }} as clean_text
    from texts
),

final as (
    select
        quantity_text,
        {{ waybill_watch.quantity_records('clean_text') }} as records_offered,
        {{ load_batch_at() }} as loaded_at
    from cleaned
)

select * from final
