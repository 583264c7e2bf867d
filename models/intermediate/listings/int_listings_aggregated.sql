{#- One row per listing (SPEC §5): lifecycle (first seen, last live, removed: explicit or inferred)
    and the listing's attributes, each from its latest observation that carries the field.
    Times are Asia/Shanghai wall time; with a fixed UTC+8 offset their order is the instants' order.

    Built from the listing × month state (int_listing_months_aggregated), not from every observation:
    minima and maxima of the months, counts summed, and each latest attribute from the month whose
    latest observation carrying it is the latest (its `*_at` time) — exactly the aggregate over the
    observations (docs/marts.md "Incremental runs").

    Incremental (delete+insert on the listing): a run recomputes only the listings whose row can
    have changed, stamped with this run's `loaded_at` for the listing-period models downstream:
    those with a listing-month row this run (re)wrote, and those whose inferred removal can move,
    the listings of a site with a crawl day this run (re)wrote that were last fetched on or after
    the site's crawl day `inferred_removal_days` + 1 crawl days before the earliest such day
    (a removal depends on the site's next crawl day after the last fetch and on how many crawl days
    followed it; neither changes for a listing last fetched earlier). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='listing_num',
        on_schema_change='sync_all_columns',
    )
}}

with

site_crawl_days as (

    select * from {{ ref('int_site_crawl_days_aggregated') }}

),

site_crawl_days_numbered as (

    -- the site's crawl days in order: the days after a listing's last fetch are found by number,
    -- with equi-joins only (no listing × day range join)
    select
        site,
        crawl_date,
        first_fetched_at_local,
        row_number() over (partition by site order by crawl_date) as day_number,
        count(*) over (partition by site) as crawl_days
    from site_crawl_days

),

{%- if is_incremental() %}
{#- the rows written since this model's last run (one watermark query for both tables) -#}
{%- set since_last_run = is_new_batch() %}

touched_site_days as (

    select site, crawl_date
    from site_crawl_days
    where {{ since_last_run }}

),

first_touched_days as (

    select
        site_crawl_days_numbered.site,
        min(site_crawl_days_numbered.day_number) as day_number
    from site_crawl_days_numbered
    inner join touched_site_days
        on
            site_crawl_days_numbered.site = touched_site_days.site
            and site_crawl_days_numbered.crawl_date = touched_site_days.crawl_date
    group by site_crawl_days_numbered.site

),

removal_bounds as (

    -- listings of the site last fetched on or after this day may change removal
    select
        bound_days.site,
        bound_days.crawl_date as bound_date
    from first_touched_days
    inner join site_crawl_days_numbered as bound_days
        on
            first_touched_days.site = bound_days.site
            and bound_days.day_number = greatest(first_touched_days.day_number - {{ var('inferred_removal_days') }} - 1, 1)

),

changed_listings as (

    select listing_num
    from {{ ref('int_listing_months_aggregated') }}
    where {{ since_last_run }}
    union
    select previous.listing_num
    from {{ this }} as previous
    inner join removal_bounds
        on
            previous.site = removal_bounds.site
            and cast(previous.last_fetched_at as date) >= removal_bounds.bound_date

),

previous_removals as (

    -- the removal the listing had before this run: its period loses a removal row when it moves
    select
        previous.listing_num,
        previous.removed_at
    from {{ this }} as previous
    inner join changed_listings
        on previous.listing_num = changed_listings.listing_num
    where previous.removed_at is not null

),

{%- endif %}

listing_months as (

    {{ listing_months_of('changed_listings') }}

),

lifecycle as (

    select
        listing_num,
        max(site) as site,
        max(channel) as channel,
        min(first_fetched_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(last_fetched_at) as last_fetched_at,
        max(last_fetched_date) as last_fetched_date,
        min(explicit_removed_at) as explicit_removed_at,
        cast(sum(observations) as {{ dbt.type_bigint() }}) as observation_count,
        cast(sum(delivered_rows) as {{ dbt.type_bigint() }}) as delivered_rows,
        cast(max(sample_record_count) as {{ dbt.type_int() }}) as sample_record_count,
        max(case when has_unmasked_samples then 1 else 0 end) = 1 as has_unmasked_samples
    from listing_months
    group by listing_num

),

inferred_removals as (

    -- the site was crawled on at least `inferred_removal_days` later days without the listing
    -- (the listing's last fetch day is a crawl day of its site): removed at the site's earliest
    -- fetch on the first of those days
    select
        lifecycle.listing_num,
        next_day.first_fetched_at_local as inferred_removed_at
    from lifecycle
    inner join site_crawl_days_numbered as last_day
        on
            lifecycle.site = last_day.site
            and lifecycle.last_fetched_date = last_day.crawl_date
    inner join site_crawl_days_numbered as next_day
        on
            last_day.site = next_day.site
            and next_day.day_number = last_day.day_number + 1
    where
        lifecycle.explicit_removed_at is null
        and last_day.crawl_days - last_day.day_number >= {{ var('inferred_removal_days') }}

),

latest_attributes as (

    {#- each attribute from the listing's latest observation that carries it (SPEC §5): per month
        the latest such observation's value and time, so the month with the greatest time holds
        it; region and city, and the price with its outlier flag and text, come from one row -#}
    select
        listing_num,
        {{ latest_value('region_code', 'region_at', 'region_at is not null') }} as region_code,
        {{ latest_value('city_code', 'region_at', 'region_at is not null') }} as city_code,
        {{ latest_value('carrier_codes', 'carrier_codes_at', 'carrier_codes_at is not null') }} as carrier_codes,
        {{ latest_value('freshness', 'freshness_at', 'freshness_at is not null') }} as freshness,
        {{ latest_value('seller_num', 'seller_at', 'seller_at is not null') }} as seller_num,
        {{ latest_value('records_offered', 'records_offered_at', 'records_offered_at is not null') }}
            as records_offered,
        {{ latest_value('unit_price_cny', 'price_at', 'price_at is not null') }} as unit_price_cny,
        {{ latest_value('is_price_outlier', 'price_at', 'price_at is not null') }} as is_price_outlier,
        {{ latest_value('price_text', 'price_at', 'price_at is not null') }} as price_text
    from listing_months
    group by listing_num

),

final as (

    select
        lifecycle.listing_num,
        lifecycle.site,
        lifecycle.channel,
        latest_attributes.seller_num,
        coalesce(latest_attributes.region_code, 'unknown') as region_code,
        latest_attributes.city_code,
        coalesce(latest_attributes.carrier_codes, 'UNKNOWN') as carrier_codes,
        coalesce(latest_attributes.freshness, 'unknown') as freshness,
        latest_attributes.unit_price_cny,
        latest_attributes.is_price_outlier,
        latest_attributes.price_text,
        latest_attributes.records_offered,
        lifecycle.first_seen_at,
        lifecycle.last_seen_at,
        coalesce(lifecycle.explicit_removed_at, inferred_removals.inferred_removed_at) as removed_at,
        lifecycle.explicit_removed_at is null
        and inferred_removals.inferred_removed_at is not null as is_removal_inferred,
        lifecycle.last_fetched_at,
        lifecycle.observation_count,
        lifecycle.delivered_rows,
        lifecycle.sample_record_count,
        lifecycle.has_unmasked_samples,
        {%- if is_incremental() %}
        previous_removals.removed_at as removed_at_before_run,
        {%- else %}
        cast(null as {{ dbt.type_timestamp() }}) as removed_at_before_run,
        {%- endif %}
        {{ load_batch_at() }} as loaded_at
    from lifecycle
    left join inferred_removals
        on lifecycle.listing_num = inferred_removals.listing_num
    {%- if is_incremental() %}
    left join previous_removals
        on lifecycle.listing_num = previous_removals.listing_num
    {%- endif %}
    left join latest_attributes
        on lifecycle.listing_num = latest_attributes.listing_num

)

select * from final
