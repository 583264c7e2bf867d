{#- One row per distinct crawl quantity_text: the number of records on offer (SPEC §4;
    macros/normalize/quantity.sql); null when unlimited or no number. -#}
with

observations as (
    select quantity_text from {{ ref('stg_crawl__observations') }}
),

texts as (
    select distinct quantity_text
    from observations
    where quantity_text is not null
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
        {{ waybill_watch.quantity_records('clean_text') }} as records_offered
    from cleaned
)

select * from final
