{#- One row per distinct location text (crawl location_text; incident and case province + city):
    region_code and city_code by the region alias seed (SPEC §4; macros/normalize/location.sql).
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

crawl_texts as (
    select location_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

incident_texts as (
    select location_lookup_text as location_text from {{ ref('stg_incidents__incidents') }}
),

case_texts as (
    select location_lookup_text as location_text from {{ ref('stg_cases__cases') }}
),

texts as (
    select location_text from crawl_texts
    union
    select location_text from incident_texts
    union
    select location_text from case_texts
),

new_texts as (
    {{ texts_not_yet_known('texts', 'location_text') }}
),

normalized as (
    {{ waybill_watch.normalize_location_texts('new_texts', 'location_text', ref('region_aliases')) }}
),

final as (
    select
        normalized.*,
        {{ load_batch_at() }} as loaded_at
    from normalized
)

select * from final
