{#- One row per distinct crawl price_text: the price per single record and its currency read from
    the text (SPEC §4; macros/normalize/price.sql). Structured price fields win over these in
    int_observations_enriched.
    Incremental (append): a run reads the texts of the crawl load batches newer than its own
    `loaded_at` and adds the texts it does not hold yet (macros/incremental/load_batches.sql, new_texts.sql). -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

observations as (
    select price_text from {{ ref('stg_crawl__observations') }}
    where {{ is_new_batch() }}
),

texts as (
    {{ texts_not_yet_known('observations', 'price_text') }}
),

cleaned as (
    select
        price_text,
        {{ waybill_watch.parse_ready_text('price_text') }} as clean_text
    from texts
),

tokens as (
    select
        price_text,
        {{ waybill_watch.price_token('clean_text') }} as price_token
    from cleaned
),

parts as (
    select
        price_text,
        price_token,
        {{ waybill_watch.price_token_parts('price_token') }}
    from tokens
),

priced as (
    select
        price_text,
        price_token,
        currency_prefix,
        money_word,
        {{ waybill_watch.price_per_record('amount_low', 'amount_high', 'money_word', 'record_count', 'record_magnitude') }}
            as text_unit_price
    from parts
),

final as (
    select
        price_text,
        price_token,
        text_unit_price,
        {{ waybill_watch.round_significant('text_unit_price', 6) }} as text_unit_price_6_digits,
        case
            when text_unit_price is not null then {{ waybill_watch.price_currency('currency_prefix', 'money_word') }}
        end as text_price_currency,
        {{ load_batch_at() }} as loaded_at
    from priced
)

select * from final
