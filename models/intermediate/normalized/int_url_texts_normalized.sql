{#- One row per distinct crawl url: its normalized form (SPEC §3.1: lower-case scheme and host, no
    fragment, no utm_* parameters, no trailing slash; macros/normalize/url.sql), the listing's
    identity when it has no listing_id. Six regular expressions per url: run per row, they were the
    dearest part of reading the crawl rows (10M rows: 6.3 s of ~15 s per scan, and a full build's
    de-duplication scans them three times); a year of crawls has a few million distinct urls.
    Incremental (append): a run reads the urls of the crawl load batches newer than its own
    `loaded_at` and adds the urls it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

crawl_urls as (
    select url from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

new_urls as (
    {{ texts_not_yet_known('crawl_urls', 'url') }}
),

final as (
    select
        url,
        {{ waybill_watch.normalize_url('url') }} as url_normalized,
        {{ load_batch_at() }} as loaded_at
    from new_urls
)

select * from final
