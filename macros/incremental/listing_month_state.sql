{#- The listing × month state (int_listing_months_aggregated; docs/marts.md "Incremental runs").
    Every column has two aggregates: over a pair's observations, and over states of the same pair
    (an earlier state and the state of new observations) — they give the same result, so merging new
    observations into a state is exact. Each latest value is kept with the time of the observation
    that gave it (`*_at`); a listing's fetch instants are unique, so the latest by that time is exact. -#}

{#- The columns: `latest_groups` = (value columns, their time column, the condition on an observation);
    `columns` = (name, aggregate over observations, aggregate over states). The seller is its
    integer stand-in `seller_num` (int_seller_keys_numbered) here and in every model the state
    feeds: fct_listings alone takes the pseudonym back. -#}
{% macro listing_month_state_spec() %}
{%- set at = 'fetched_at_local' %}
{#- latest values: (value columns, time column, condition on an observation) -#}
{%- set latest_groups = [
    (['region_code', 'city_code'], 'region_at', "region_code is not null and region_code <> 'unknown'"),
    (['carrier_codes'], 'carrier_codes_at', "carrier_codes is not null and carrier_codes <> 'UNKNOWN'"),
    (['freshness'], 'freshness_at', "freshness is not null and freshness <> 'unknown'"),
    (['seller_num'], 'seller_at', 'seller_num is not null'),
    (['records_offered'], 'records_offered_at', 'records_offered is not null'),
    (['unit_price_cny', 'is_price_outlier', 'price_text'], 'price_at', 'unit_price_cny is not null'),
    (['live_unit_price_cny'], 'live_price_at',
        'is_live and unit_price_cny is not null and not coalesce(is_price_outlier, false)'),
    (['live_records_offered'], 'live_records_offered_at', 'is_live and records_offered is not null'),
] %}
{%- set live_sources = {'live_unit_price_cny': 'unit_price_cny', 'live_records_offered': 'records_offered'} %}
{#- other columns: (name, aggregate over observations, aggregate over states) -#}
{%- set columns = [
    ('quarter_start', 'max(quarter_start)', 'max(quarter_start)'),
    ('site', 'max(site)', 'max(site)'),
    ('channel', 'max(channel)', 'max(channel)'),
    ('first_fetched_at', 'min(fetched_at_local)', 'min(first_fetched_at)'),
    ('last_seen_at', 'max(case when not is_removal_fetch then fetched_at_local end)', 'max(last_seen_at)'),
    ('last_fetched_at', 'max(fetched_at_local)', 'max(last_fetched_at)'),
    ('last_fetched_date', 'max(fetched_date_local)', 'max(last_fetched_date)'),
    ('explicit_removed_at', 'min(case when is_removal_fetch then fetched_at_local end)', 'min(explicit_removed_at)'),
    ('observations', 'cast(count(*) as ' ~ dbt.type_bigint() ~ ')', 'cast(sum(observations) as ' ~ dbt.type_bigint() ~ ')'),
    ('delivered_rows', 'cast(sum(delivered_copies) as ' ~ dbt.type_bigint() ~ ')',
        'cast(sum(delivered_rows) as ' ~ dbt.type_bigint() ~ ')'),
    ('sample_record_count', 'cast(max(sample_record_count) as ' ~ dbt.type_int() ~ ')',
        'cast(max(sample_record_count) as ' ~ dbt.type_int() ~ ')'),
    ('has_unmasked_samples', 'max(case when has_unmasked_samples then 1 else 0 end) = 1',
        'max(case when has_unmasked_samples then 1 else 0 end) = 1'),
    ('is_active', 'max(case when is_live then 1 else 0 end) = 1', 'max(case when is_active then 1 else 0 end) = 1'),
    ('observed_days', bit_set_union(bit_set_of('extract(day from fetched_date_local) - 1')),
        bit_set_union('observed_days')),
] %}

{{ return({'at': at, 'latest_groups': latest_groups, 'live_sources': live_sources, 'columns': columns}) }}
{%- endmacro %}

{#- The state of every (listing, month) of the observations in `relation`. -#}
{% macro listing_month_states(relation) %}
{%- set spec = listing_month_state_spec() %}
{%- set at, latest_groups, live_sources, columns = spec.at, spec.latest_groups, spec.live_sources, spec.columns %}
    {%- call latest_values_unpacked(spec) %}
    select
        listing_num,
        month_start,
        {%- for name, from_observations, _ in columns %}
        {{ from_observations }} as {{ name }},
        {%- endfor %}
        {%- for values, value_at, condition in latest_groups %}
        {{ latest_values(values, live_sources, at, condition, value_at) }},
        max(case when {{ condition }} then {{ at }} end) as {{ value_at }},
        {%- endfor %}
        max(loaded_at) as loaded_at
    from (
        select
            observations.*,
            -- live on sale: status active or sold out, and not a removal fetch (404/410 never counts)
            coalesce(observations.status, 'active') in ('active', 'sold_out')
            and not observations.is_removal_fetch as is_live
        -- `relation` may be an aliased subquery (a full build's month slice)
        from (select * from {{ relation }}) as observations
    ) as observations
    group by listing_num, month_start
    {%- endcall %}
{%- endmacro %}

{#- States of the same pairs in `relation` combined into one per pair. -#}
{% macro listing_month_states_combined(relation) %}
{%- set spec = listing_month_state_spec() %}
{%- set at, latest_groups, live_sources, columns = spec.at, spec.latest_groups, spec.live_sources, spec.columns %}
{%- call latest_values_unpacked(spec) %}
    select
        listing_num,
        month_start,
        {%- for name, _, from_states in columns %}
        {{ from_states }} as {{ name }},
        {%- endfor %}
        {%- for values, value_at, _ in latest_groups %}
        {{ latest_values(values, {}, value_at, value_at ~ ' is not null', value_at) }},
        max({{ value_at }}) as {{ value_at }},
        {%- endfor %}
        max(loaded_at) as loaded_at
    from {{ relation }}
    group by listing_num, month_start
{%- endcall %}
{%- endmacro %}

{#- The latest `values` of a group (each read from `sources.get(value, value)`) by `order_by` among
    the rows where `condition` holds. Several values share one aggregate of a struct, named
    `<group_name>__values` and unpacked by `latest_values_unpacked`: they come from the same row,
    and one arg-max per value made the group-by of a full build's month slice ~30% slower. -#}
{% macro latest_values(values, sources, order_by, condition, group_name) -%}
    {%- if values | length == 1 -%}
        {{ latest_value(sources.get(values[0], values[0]), order_by, condition) }} as {{ values[0] }}
    {%- else -%}
        {%- set fields = [] -%}
        {%- for value in values -%}
            {%- do fields.append((value, sources.get(value, value))) -%}
        {%- endfor -%}
        {{ latest_value(struct_of(fields), order_by, condition) }} as {{ group_name }}__values
    {%- endif -%}
{%- endmacro %}

{#- The state columns, in table order, from the aggregate query in the caller's block. -#}
{% macro latest_values_unpacked(spec) -%}
    select
        listing_num,
        month_start,
        {%- for name, _, _ in spec.columns %}
        {{ name }},
        {%- endfor %}
        {%- for values, value_at, _ in spec.latest_groups %}
        {%- for value in values %}
        {{ struct_field(value_at ~ '__values', value) ~ ' as ' ~ value if values | length > 1 else value }},
        {%- endfor %}
        {{ value_at }},
        {%- endfor %}
        loaded_at
    from (
{{ caller() }}
    ) as states
{%- endmacro %}

{#- The state columns, in table order, qualified by `prefix`. -#}
{% macro listing_month_state_columns(prefix) -%}
{%- set spec = listing_month_state_spec() %}
{%- set names = ['listing_num', 'month_start'] %}
{%- for name, _, _ in spec.columns %}{% do names.append(name) %}{% endfor %}
{%- for values, value_at, _ in spec.latest_groups %}
{%- do names.extend(values) %}
{%- do names.append(value_at) %}
{%- endfor %}
{%- do names.append('loaded_at') %}
{%- for name in names -%}
    {{ prefix ~ '.' ~ name }}{{ ', ' if not loop.last }}
{%- endfor %}
{%- endmacro %}

{#- The listing × month state rows (int_listing_months_aggregated): on an incremental run only those
    of the listings in the CTE `listings` (the models that recompute some listings, with all their
    months), on a full build all of them. -#}
{% macro listing_months_of(listings) -%}
    select listing_months.*
    from {{ ref('int_listing_months_aggregated') }} as listing_months
    {%- if is_incremental() %}
    inner join {{ listings }}
        on listing_months.listing_num = {{ listings }}.listing_num
    {%- endif %}
{%- endmacro %}
