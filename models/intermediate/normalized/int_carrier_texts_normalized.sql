{#- One row per distinct carrier text (crawl carrier_text, incident carrier): the sorted,
    |-joined carrier codes and the first carrier named (SPEC §4; macros/normalize/carrier.sql). -#}
with

crawl_texts as (
    select carrier_text from {{ ref('stg_crawl__observations') }}
),

incident_texts as (
    select carrier_text from {{ ref('stg_incidents__incidents') }}
),

texts as (
    select carrier_text from crawl_texts
    union
    select carrier_text from incident_texts
),

final as (
    {{ waybill_watch.normalize_carrier_texts('texts', 'carrier_text', ref('carrier_aliases')) }}
)

select * from final
