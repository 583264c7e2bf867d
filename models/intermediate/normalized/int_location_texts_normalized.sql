{#- One row per distinct location text (crawl location_text; incident and case province + city):
    region_code and city_code by the region alias seed (SPEC §4; macros/normalize/location.sql). -#}
with

crawl_texts as (
    select location_text from {{ ref('stg_crawl__observations') }}
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

final as (
    {{ waybill_watch.normalize_location_texts('texts', 'location_text', ref('region_aliases')) }}
)

select * from final
