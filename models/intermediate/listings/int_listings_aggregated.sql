{#- One row per listing (SPEC §5): lifecycle (first seen, last live, removed: explicit or inferred)
    and the listing's attributes, each from its latest observation that carries the field.
    Times are Asia/Shanghai wall time; with a fixed UTC+8 offset their order is the instants' order. -#}

with

observations as (

    select * from {{ ref('int_observations_deduplicated') }}

),

site_crawl_days as (

    select * from {{ ref('int_site_crawl_days_aggregated') }}

),

lifecycle as (

    select
        listing_key,
        max(site) as site,
        max(channel) as channel,
        min(fetched_at_local) as first_seen_at,
        max(case when not is_removal_fetch then fetched_at_local end) as last_seen_at,
        max(fetched_at_local) as last_fetched_at,
        max(fetched_date_local) as last_fetched_date,
        min(case when is_removal_fetch then fetched_at_local end) as explicit_removed_at,
        cast(count(*) as {{ dbt.type_bigint() }}) as observation_count,
        cast(sum(delivered_copies) as {{ dbt.type_bigint() }}) as delivered_rows,
        cast(max(sample_record_count) as {{ dbt.type_int() }}) as sample_record_count,
        max(case when has_unmasked_samples then 1 else 0 end) = 1 as has_unmasked_samples
    from observations
    group by listing_key

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

inferred_removals as (

    -- the site was crawled on at least `inferred_removal_days` later days without the listing
    -- (the listing's last fetch day is a crawl day of its site): removed at the site's earliest
    -- fetch on the first of those days
    select
        lifecycle.listing_key,
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

    {#- each attribute from the listing's latest observation that carries it (SPEC §5);
        region and city, and the price with its outlier flag and text, come from one row -#}
    {%- set at = 'fetched_at_local' %}
    {%- set has_region = "region_code is not null and region_code <> 'unknown'" %}
    {%- set has_price = 'unit_price_cny is not null' %}
    select
        listing_key,
        {{ latest_value('region_code', at, has_region) }} as region_code,
        {{ latest_value('city_code', at, has_region) }} as city_code,
        {{ latest_value('carrier_codes', at, "carrier_codes is not null and carrier_codes <> 'UNKNOWN'") }}
            as carrier_codes,
        {{ latest_value('freshness', at, "freshness is not null and freshness <> 'unknown'") }} as freshness,
        {{ latest_value('seller_key', at, 'seller_key is not null') }} as seller_key,
        {{ latest_value('records_offered', at, 'records_offered is not null') }} as records_offered,
        {{ latest_value('unit_price_cny', at, has_price) }} as unit_price_cny,
        {{ latest_value('is_price_outlier', at, has_price) }} as is_price_outlier,
        {{ latest_value('price_text', at, has_price) }} as price_text
    from observations
    group by listing_key

),

final as (

    select
        lifecycle.listing_key,
        lifecycle.site,
        lifecycle.channel,
        latest_attributes.seller_key,
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
        lifecycle.has_unmasked_samples
    from lifecycle
    left join inferred_removals
        on lifecycle.listing_key = inferred_removals.listing_key
    left join latest_attributes
        on lifecycle.listing_key = latest_attributes.listing_key

)

select * from final
