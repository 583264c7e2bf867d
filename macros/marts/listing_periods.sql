{#- Listing × period state (SPEC §5), shared by the month and quarter models, from the listing ×
    month state (int_listing_months_aggregated; a quarter is its three months) and the listings.
    grain: 'month' or 'quarter'. A listing has a row for every period it was observed in and for
    the period it was removed in (an inferred removal can fall in a period without observations).
    Incremental (strategy replace_changed_rows, config in the models): a run recomputes the periods
    of the listings int_listings_aggregated recomputed. A row keeps the `loaded_at` it had when its
    values are unchanged; a new or changed row gets the listing's (this run's batch); only those are
    written (macros/incremental/replace_changed_rows.sql), and the market marts recompute only the
    periods with such a row (macros/marts/market_periods.sql). -#}
{% macro listing_periods_sql(grain) %}
    {%- if grain == 'month' -%}
        {%- set period_of = month_start -%}
        {%- set period_key = 'month_start' -%}
    {%- else -%}
        {%- set period_of = quarter_start -%}
        {%- set period_key = 'quarter_start' -%}
    {%- endif %}
    {%- set value_columns = [
        'site', 'channel', 'region_code', 'city_code', 'seller_num', 'is_observed', 'is_active', 'is_new',
        'is_removed', 'is_removal_inferred', 'unit_price_cny', 'records_offered', 'observations',
    ] %}

with

listings as (

    {#- incremental: the listings int_listings_aggregated recomputed since this model's last run; all
        their periods are rewritten (delete+insert on the listing: a period row can also vanish) -#}
    select * from {{ ref('int_listings_aggregated') }}
    where {{ is_new_batch() }}

),

listing_months as (

    {{ listing_months_of('listings') }}

),

observed_periods as (

    {#- the listing's state in each period it was observed in, from its months: counts summed, and
        the period's last price, quantity and seller = the months' latest by time (exact) -#}
    select
        listing_num,
        {%- if grain == 'month' %}
        month_start as period_start,
        {%- else %}
        quarter_start as period_start,
        {%- endif %}
        cast(sum(observations) as {{ dbt.type_bigint() }}) as observations,
        max(case when is_active then 1 else 0 end) = 1 as is_active,
        -- the last parsable, non-outlier unit price of the period (live fetches only)
        {{ latest_value('live_unit_price_cny', 'live_price_at', 'live_price_at is not null') }} as unit_price_cny,
        -- the last quantity parsed in the period (live fetches only)
        {{ latest_value('live_records_offered', 'live_records_offered_at', 'live_records_offered_at is not null') }}
            as records_offered,
        {{ latest_value('seller_num', 'seller_at', 'seller_at is not null') }} as seller_num
    from listing_months
    group by
        listing_num,
        {%- if grain == 'month' %}
        month_start
        {%- else %}
        quarter_start
        {%- endif %}

),

removal_periods as (

    select
        listing_num,
        {{ period_of('cast(removed_at as date)') }} as period_start
    from listings
    where removed_at is not null

),

listing_period_keys as (

    select listing_num, period_start from observed_periods
    union
    select listing_num, period_start from removal_periods

),

period_rows as (

    select
        listing_period_keys.listing_num,
        {%- if grain == 'month' %}
        listing_period_keys.period_start as month_start,
        {%- endif %}
        {{ quarter_label('listing_period_keys.period_start') }} as quarter,
        {{ quarter_start('listing_period_keys.period_start') }} as quarter_start,
        listings.site,
        listings.channel,
        listings.region_code,
        listings.city_code,
        coalesce(observed_periods.seller_num, listings.seller_num) as seller_num,
        observed_periods.listing_num is not null as is_observed,
        coalesce(observed_periods.is_active, false) as is_active,
        {{ period_of('cast(listings.first_seen_at as date)') }} = listing_period_keys.period_start as is_new,
        coalesce(
            {{ period_of('cast(listings.removed_at as date)') }} = listing_period_keys.period_start, false
        ) as is_removed,
        listings.is_removal_inferred and removal_periods.listing_num is not null as is_removal_inferred,
        observed_periods.unit_price_cny,
        observed_periods.records_offered,
        cast(coalesce(observed_periods.observations, 0) as {{ dbt.type_bigint() }}) as observations,
        listings.loaded_at
    from listing_period_keys
    inner join listings
        on listing_period_keys.listing_num = listings.listing_num
    left join observed_periods
        on
            listing_period_keys.listing_num = observed_periods.listing_num
            and listing_period_keys.period_start = observed_periods.period_start
    left join removal_periods
        on
            listing_period_keys.listing_num = removal_periods.listing_num
            and listing_period_keys.period_start = removal_periods.period_start

),

{%- if is_incremental() %}

previous_rows as (

    select previous.*
    from {{ this }} as previous
    inner join listings
        on previous.listing_num = listings.listing_num

),
{%- endif %}

final as (

    select
        period_rows.listing_num,
        {%- if grain == 'month' %}
        period_rows.month_start,
        {%- endif %}
        period_rows.quarter,
        period_rows.quarter_start,
        {%- for column in value_columns %}
        period_rows.{{ column }},
        {%- endfor %}
        {%- if is_incremental() %}
        case
            when
                previous_rows.listing_num is not null
                {%- for column in value_columns %}
                and {{ equal_or_both_null('period_rows.' ~ column, 'previous_rows.' ~ column) }}
                {%- endfor %}
                then previous_rows.loaded_at
            else period_rows.loaded_at
        end as loaded_at
    from period_rows
    left join previous_rows
        on
            period_rows.listing_num = previous_rows.listing_num
            and period_rows.{{ period_key }} = previous_rows.{{ period_key }}
        {%- else %}
        period_rows.loaded_at
    from period_rows
        {%- endif %}

)

select * from final
{% endmacro %}
