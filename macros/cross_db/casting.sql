{#- Cast that yields null instead of failing on bad input. -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'waybill_watch')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__try_cast(expression, data_type) -%}
    {#- Postgres has no try_cast; callers only pass text already validated by a regex. -#}
    cast(nullif({{ expression }}, '') as {{ data_type }})
{%- endmacro %}

{#- Round a number to `digits` significant digits (null and 0 stay as they are): 12 removes
    binary noise from prices (0.03 + 0.05) / 2 → 0.04; 6 is the precision the SPEC vectors are
    written in (1元3条 → 0.333333). -#}
{% macro round_significant(expression, digits=12) -%}
    case
        when {{ expression }} is null or {{ expression }} = 0 then {{ expression }}
        else round(
            {{ expression }},
            cast({{ digits }} - 1 - floor(log10(abs({{ expression }}))) as integer)
        )
    end
{%- endmacro %}
