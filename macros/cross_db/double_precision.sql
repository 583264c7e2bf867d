{#- An 8-byte floating-point type for prices and money (dbt.type_float() is 4-byte FLOAT on DuckDB). -#}
{% macro type_double_precision() -%}
    {{ return(adapter.dispatch('type_double_precision', 'waybill_watch')()) }}
{%- endmacro %}

{% macro default__type_double_precision() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double_precision() -%}
    double
{%- endmacro %}

{% macro spark__type_double_precision() -%}
    double
{%- endmacro %}
