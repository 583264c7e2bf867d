{#- One row per distinct crawl freshness_text: realtime / recent / historical / unknown
    (SPEC §4; macros/normalize/freshness.sql).
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

observations as (
    select freshness_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

texts as (
    select distinct texts_in.freshness_text
    from observations as texts_in
    where texts_in.freshness_text is not null
    {% if is_incremental() %}
    and not exists (select 1 from {{ this }} as known where known.freshness_text = texts_in.freshness_text)
{% endif %}
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
