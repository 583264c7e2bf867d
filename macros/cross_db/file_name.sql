{#- The last component of a `/`-separated path (the file name). -#}
{% macro file_name(path) -%}
    {{ return(adapter.dispatch('file_name', 'waybill_watch')(path)) }}
{%- endmacro %}

{% macro default__file_name(path) -%}
    regexp_replace({{ path }}, '^.*/', '')
{%- endmacro %}

{% macro duckdb__file_name(path) -%}
    parse_filename({{ path }})
{%- endmacro %}
