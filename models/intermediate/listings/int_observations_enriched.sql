{#- One row per bronze crawl row (not de-duplicated), with every normalized field the listing
    logic needs (docs/models_interface.md). Dictionary and text rules were applied once per
    distinct text in models/intermediate/normalized/; here they are joined back, and listing_num
    (SPEC §5) is derived from the listing_id or the normalized url.
    A view: int_observations_deduplicated reads it once per run, filtered to the new load batches
    (the filter reaches the staging scan), so no second 100M-row copy is stored. -#}
{{ config(materialized='view') }}
with

observations as (
    select * from {{ ref('stg_crawl__observations') }}
),

urls as (
    select url, url_normalized from {{ ref('int_url_texts_normalized') }}
),

sites as (
    select site, channel from {{ ref('int_sites_registered') }}
),

sellers as (
    select seller_key, seller_num from {{ ref('int_seller_keys_numbered') }}
),

prices as (
    select price_text, text_unit_price, text_price_currency from {{ ref('int_price_texts_parsed') }}
),

quantities as (
    select quantity_text, records_offered from {{ ref('int_quantity_texts_parsed') }}
),

freshness_terms as (
    select freshness_text, freshness from {{ ref('int_freshness_texts_normalized') }}
),

locations as (
    select location_text, region_code, city_code from {{ ref('int_location_texts_normalized') }}
),

carriers as (
    select carrier_text, carrier_codes from {{ ref('int_carrier_texts_normalized') }}
),

exchange_rates as (
    select month_start, currency, cny_per_unit from {{ ref('exchange_rates_monthly') }}
),

joined as (
    select
        observations.*,
        urls.url_normalized,
        {{ waybill_watch.listing_num('observations.site', 'observations.listing_id', 'urls.url_normalized') }} as listing_num,
        coalesce(sites.channel, 'unknown') as channel,
        sellers.seller_num,
        {{ waybill_watch.to_shanghai_local('observations.fetched_at_utc') }} as fetched_at_local,
        {{ waybill_watch.shanghai_local_date('observations.fetched_at_utc') }} as fetched_date_local,
        case
            when observations.has_structured_price then observations.structured_unit_price
            else prices.text_unit_price
        end as unit_price,
        case
            when observations.has_structured_price then
                case when observations.structured_unit_price is not null then observations.structured_price_currency end
            else prices.text_price_currency
        end as price_currency,
        quantities.records_offered,
        coalesce(freshness_terms.freshness, 'unknown') as freshness,
        coalesce(locations.region_code, 'unknown') as region_code,
        locations.city_code,
        coalesce(carriers.carrier_codes, 'UNKNOWN') as carrier_codes
    from observations
    left join urls
        on observations.url = urls.url
    left join sites
        on observations.site = sites.site
    left join sellers
        on observations.seller_key = sellers.seller_key
    left join prices
        on observations.price_text = prices.price_text
    left join quantities
        on observations.quantity_text = quantities.quantity_text
    left join freshness_terms
        on observations.freshness_text = freshness_terms.freshness_text
    left join locations
        on observations.location_text = locations.location_text
    left join carriers
        on observations.carrier_text = carriers.carrier_text
),

converted as (
    select
        joined.*,
        {#- CNY needs no rate, whatever the month -#}
        case when joined.price_currency = 'CNY' then 1.0 else exchange_rates.cny_per_unit end as cny_per_unit,
        {{ waybill_watch.round_significant(
            "joined.unit_price * case when joined.price_currency = 'CNY' then 1.0 else exchange_rates.cny_per_unit end"
        ) }} as unit_price_cny
    from joined
    left join exchange_rates
        on exchange_rates.currency = joined.price_currency
        and exchange_rates.month_start = {{ waybill_watch.month_start('joined.fetched_date_local') }}
),

final as (
    select
        observation_id,
        listing_num,
        site,
        channel,
        listing_id,
        url_normalized,
        run_id,
        crawler,
        file_hash,
        file_path,
        file_mtime,
        line_no,
        row_hash,
        crawl_folder_date,
        fetched_at_utc,
        fetched_at_local,
        fetched_date_local,
        seller_key,
        seller_num,
        contact_key,
        title,
        price_text,
        price_amount,
        price_currency_raw,
        price_per_records,
        has_structured_price,
        unit_price,
        price_currency,
        cny_per_unit,
        unit_price_cny,
        case
            when unit_price_cny is null then null
            when unit_price_cny < {{ var('price_outlier_min_cny') }} or unit_price_cny > {{ var('price_outlier_max_cny') }} then true
            else false
        end as is_price_outlier,
        quantity_text,
        records_offered,
        location_text,
        region_code,
        city_code,
        carrier_text,
        carrier_codes,
        freshness_text,
        freshness,
        sample_record_count,
        has_unmasked_samples,
        status_text,
        status,
        http_status,
        is_removal_fetch,
        loaded_at
    from converted
)

select * from final
