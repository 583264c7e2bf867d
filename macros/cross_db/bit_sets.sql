{#- Small sets of integers 0–62 kept as the bits of a bigint (e.g. the days of a month a listing was
    observed on, int_listing_months_aggregated): the set of one member, the union of a column's sets
    (an aggregate), and a membership test. Dispatch macros: an engine without `bit_or` / `&`
    (Snowflake: bitor_agg / bitand) overrides them. -#}

{#- The set holding only `position` (an integer expression, 0–62). -#}
{% macro bit_set_of(position) -%}
    {{ return(adapter.dispatch('bit_set_of', 'waybill_watch')(position)) }}
{%- endmacro %}

{% macro default__bit_set_of(position) -%}
    cast(power(2, {{ position }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Union of the sets in `expression` over the rows of a group (an aggregate). -#}
{% macro bit_set_union(expression) -%}
    {{ return(adapter.dispatch('bit_set_union', 'waybill_watch')(expression)) }}
{%- endmacro %}

{% macro default__bit_set_union(expression) -%}
    bit_or({{ expression }})
{%- endmacro %}

{#- Whether the set `mask` holds `position`. -#}
{% macro bit_set_contains(mask, position) -%}
    {{ return(adapter.dispatch('bit_set_contains', 'waybill_watch')(mask, position)) }}
{%- endmacro %}

{% macro default__bit_set_contains(mask, position) -%}
    ({{ mask }} & {{ bit_set_of(position) }}) <> 0
{%- endmacro %}
