{#- A struct (record) of named values: `fields` is a list of (name, expression) pairs. Used to
    take several values of the same row in one aggregate (see listing_month_state.sql). -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'waybill_watch')(fields)) }}
{%- endmacro %}

{#- Spark -#}
{% macro default__struct_of(fields) -%}
    named_struct({% for name, expression in fields %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro duckdb__struct_of(fields) -%}
    struct_pack({% for name, expression in fields %}{{ name }} := {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The field `name` of the struct `expression` (null when the struct is null). -#}
{% macro struct_field(expression, name) -%}
    {{ return(adapter.dispatch('struct_field', 'waybill_watch')(expression, name)) }}
{%- endmacro %}

{% macro default__struct_field(expression, name) -%}
    {{ expression }}.{{ name }}
{%- endmacro %}

{% macro duckdb__struct_field(expression, name) -%}
    struct_extract({{ expression }}, '{{ name }}')
{%- endmacro %}
