{#- One row per distinct carrier text (crawl carrier_text, incident carrier): the sorted,
    |-joined carrier codes and the first carrier named (SPEC §4; macros/normalize/carrier.sql).
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

crawl_texts as (
    select carrier_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

incident_texts as (
    select carrier_text from {{ ref('stg_incidents__incidents') }}
),

texts as (
    select carrier_text from crawl_texts
    union
    select carrier_text from incident_texts
),

new_texts as (
    {{ texts_not_yet_known('texts', 'carrier_text') }}
),

normalized as (
    {{ waybill_watch.normalize_carrier_texts('new_texts', 'carrier_text', ref('carrier_aliases')) }}
),

final as (
    select
        normalized.*,
        {{ load_batch_at() }} as loaded_at
    from normalized
)

select * from final
