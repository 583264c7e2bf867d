{#- One row per distinct seller pseudonym (seller_key, 52 characters) with a 19-digit integer
    stand-in (seller_num, from its md5: the same number in every run, with no state to keep in
    step). int_observations_enriched joins it in, so that int_observations_deduplicated stores the
    integer: the 52-character text was the dearest column to write there (10M rows: 3.9 s alone,
    against ~0.3 s for an integer), and so do the listing state and period models; fct_listings
    takes the text back by the number.
    Incremental (append): a run adds the pseudonyms of the crawl load batches it has not seen. -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

crawl_sellers as (
    select seller_key from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

new_sellers as (
    {{ texts_not_yet_known('crawl_sellers', 'seller_key') }}
),

final as (
    select
        seller_key,
        {{ waybill_watch.md5_number('seller_key') }} as seller_num,
        {{ load_batch_at() }} as loaded_at
    from new_sellers
)

select * from final
