{#- Regular expressions differ per engine in name and argument order; models call these.
    Patterns are RE2/POSIX-compatible (no look-around) and passed as SQL string literals. -#}

{#- The text of capture `group` of the first match of `pattern`, '' when none (DuckDB semantics). -#}
{% macro regexp_extract(string, pattern, group=0) -%}
    {{ return(adapter.dispatch('regexp_extract', 'waybill_watch')(string, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(string, pattern, group=0) -%}
    coalesce(regexp_substr({{ string }}, {{ pattern }}, 1, 1, 'e', {{ group }}), '')
{%- endmacro %}

{% macro duckdb__regexp_extract(string, pattern, group=0) -%}
    regexp_extract({{ string }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro postgres__regexp_extract(string, pattern, group=0) -%}
    coalesce((regexp_match({{ string }}, {{ pattern }}))[{{ group if group > 0 else 1 }}], '')
{%- endmacro %}

{#- True when `pattern` matches anywhere in `string`. -#}
{% macro regexp_matches(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'waybill_watch')(string, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(string, pattern) -%}
    regexp_like({{ string }}, {{ pattern }})
{%- endmacro %}

{% macro duckdb__regexp_matches(string, pattern) -%}
    regexp_matches({{ string }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regexp_matches(string, pattern) -%}
    ({{ string }} ~ {{ pattern }})
{%- endmacro %}

{#- Replace every match of `pattern` by `replacement` (\1 refers to a capture). -#}
{% macro regexp_replace_all(string, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'waybill_watch')(string, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(string, pattern, replacement) -%}
    regexp_replace({{ string }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regexp_replace_all(string, pattern, replacement) -%}
    regexp_replace({{ string }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro postgres__regexp_replace_all(string, pattern, replacement) -%}
    regexp_replace({{ string }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
