{#- One row per distinct crawl freshness_text: realtime / recent / historical / unknown
    (SPEC §4; macros/normalize/freshness.sql). -#}
with

observations as (
    select freshness_text from {{ ref('stg_crawl__observations') }}
),

texts as (
    select distinct freshness_text
    from observations
    where freshness_text is not null
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
        {{ waybill_watch.freshness_category('clean_text') }} as freshness
    from cleaned
)

select * from final
