{#- One row per bronze crawl row of the load batch this run reads: renamed, typed, with the per-row
    derivations that need no dictionary (observation_id, status, structured price).
    Text rules (url, price, quantity, location, carrier, freshness) run once per distinct text in
    models/intermediate/normalized/ and are joined back in int_observations_enriched, which also
    derives listing_num (listing_key's integer form) from the normalized url.

    A view over the bronze files not loaded yet (every file on a full build): the file ledger
    int_bronze_files_loaded names the files earlier runs merged (bronze files are immutable and named
    by content hash, docs/bronze.md). Rows carry the run's `loaded_at` (the load batch); downstream
    models take them from here (macros/incremental). Not a table: a stored copy of every crawl row
    beside int_observations_deduplicated doubled the build database (38 GB at 100M rows, bench/). -#}
{{ config(materialized='view') }}

{%- set bronze = source('crawl', 'crawl_observations') %}
{#- relative to the warehouse directory, dbt's working directory (profiles.yml) #}
{%- set bronze_directory = 'bronze/crawl_observations' %}

with

source as (
    select * from {{ read_bronze_files(bronze_directory, new_bronze_files(bronze_directory)) }}
),

renamed as (
    select
        {{ bronze_file_columns() }}
        cast(crawl_folder_date as date) as crawl_folder_date,
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(fetched_at_text as {{ dbt.type_string() }}) as fetched_at_text,
        cast(fetched_at_utc as {{ dbt.type_timestamp() }}) as fetched_at_utc,
        lower(trim(cast(site as {{ dbt.type_string() }}))) as site,
        nullif(trim(cast(listing_id as {{ dbt.type_string() }})), '') as listing_id,
        cast(url as {{ dbt.type_string() }}) as url,
        cast(crawler as {{ dbt.type_string() }}) as crawler,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(seller_key as {{ dbt.type_string() }}) as seller_key,
        cast(contact_key as {{ dbt.type_string() }}) as contact_key,
        cast(price_text as {{ dbt.type_string() }}) as price_text,
        cast(price_amount as {{ waybill_watch.type_double_precision() }}) as price_amount,
        cast(price_currency as {{ dbt.type_string() }}) as price_currency_raw,
        cast(price_per_records as {{ waybill_watch.type_double_precision() }}) as price_per_records,
        cast(quantity_text as {{ dbt.type_string() }}) as quantity_text,
        cast(location_text as {{ dbt.type_string() }}) as location_text,
        cast(carrier_text as {{ dbt.type_string() }}) as carrier_text,
        cast(freshness_text as {{ dbt.type_string() }}) as freshness_text,
        cast(coalesce(sample_record_count, 0) as integer) as sample_record_count,
        coalesce(cast(has_unmasked_samples as boolean), false) as has_unmasked_samples,
        lower(trim(cast(status as {{ dbt.type_string() }}))) as status_text,
        cast(http_status as integer) as http_status,
        {{ waybill_watch.file_name("filename") }} as bronze_file,
        {{ load_batch_at() }} as loaded_at
    from source
),

derived as (
    select
        *,
        case
            when status_text is null or status_text = '' then 'active'
            when status_text in ('active', 'online', 'on_sale', 'on sale', '在售', '上架') then 'active'
            when status_text in ('sold_out', 'sold out', 'soldout', '售罄', '已售罄', '缺货') then 'sold_out'
            when status_text in ('removed', 'deleted', 'offline', 'taken_down', '下架', '已下架', '删除', '已删除') then 'removed'
            else 'active'
        end as status,
        price_amount is not null as has_structured_price,
        {{ waybill_watch.structured_price_per_record('price_amount', 'price_per_records') }} as structured_unit_price,
        {{ waybill_watch.normalize_currency_code('price_currency_raw') }} as structured_price_currency
    from renamed
),

final as (
    select
        {{ waybill_watch.row_version_id('file_hash', 'line_no') }} as observation_id,
        *,
        status = 'removed' or coalesce(http_status in (404, 410), false) as is_removal_fetch
    from derived
)

select * from final
