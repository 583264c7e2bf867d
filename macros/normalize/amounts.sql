{#- Amount rules (SPEC §4): records affected and money in incident and case files:
    20,000 / 约2万 / 2万余条 / 1.2亿 / 5.6万元 / ¥12,000 / 3000 → a number; 不详, empty → null.
    The first number of the text, times its magnitude word (万 亿 千 百 k w). -#}
{% macro normalize_amount(expression) -%}
    {%- set clean = parse_ready_text(expression) -%}
    {%- set num = "[0-9]+(?:\\.[0-9]+)?" -%}
    {%- set mag = magnitude_words_regex() -%}
    {%- set token = waybill_watch.regexp_extract(clean, "'(" ~ num ~ "\\s*" ~ mag ~ "?)'", 1) -%}
    {#- A minus sign before the first number (`-200`, `－5000元`) is not a count or a sum of money
        (issue 8, docs/faults.md): null, like 不详, rather than silently dropping the sign. -#}
    case
        when {{ waybill_watch.regexp_matches(clean, "'^[^0-9]*[-−]\\s*[0-9]'") }} then null
        else (
            {{ waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(token, "'^(" ~ num ~ ")'", 1) ~ ", '')", waybill_watch.type_double_precision()) }}
            * {{ magnitude_factor(waybill_watch.regexp_extract(token, "'(" ~ mag ~ ")$'", 1)) }}
        )
    end
{%- endmacro %}

{#- An amount as a whole count (records, suspects). -#}
{% macro normalize_count(expression) -%}
    cast(round({{ normalize_amount(expression) }}) as {{ dbt.type_bigint() }})
{%- endmacro %}
