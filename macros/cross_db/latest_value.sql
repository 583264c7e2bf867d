{#- The value of `expression` on the row with the greatest `order_by` among the rows where
    `condition` holds (an aggregate; null when no row qualifies, and null when that row's value
    is null: a null on the latest row is not replaced by an older value). Used per group to take a
    listing's latest attribute in one pass instead of one window scan per attribute. The order
    must be unique within the group, or the pick among ties is arbitrary. -#}
{% macro latest_value(expression, order_by, condition='true') -%}
    {{ return(adapter.dispatch('latest_value', 'waybill_watch')(expression, order_by, condition)) }}
{%- endmacro %}

{#- Spark's max_by keeps a null value on the chosen row. -#}
{% macro default__latest_value(expression, order_by, condition) -%}
    max_by({{ expression }}, {{ order_by }}) filter (where {{ condition }})
{%- endmacro %}

{#- DuckDB's arg_max / max_by skip rows whose value is null; arg_max_null does not. -#}
{% macro duckdb__latest_value(expression, order_by, condition) -%}
    arg_max_null({{ expression }}, {{ order_by }}) filter (where {{ condition }})
{%- endmacro %}
