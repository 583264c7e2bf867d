{#- Quantity rules (SPEC §4): the number of records on offer. The first number followed by a
    record unit (条 单 个 份 records), else the first number with a magnitude (1.5万, 100W), else the
    first number (日更500); magnitudes 百 千/k 万/w 亿 multiply. Unlimited (不限量, 无限) or no
    number → null. Input is parse_ready_text(). -#}
{% macro quantity_records(clean_text) -%}
    {%- set num = "[0-9]+(?:\\.[0-9]+)?" -%}
    {%- set mag = magnitude_words_regex() -%}
    {%- set token -%}
        coalesce(
            nullif({{ waybill_watch.regexp_extract(clean_text, "'(" ~ num ~ "\\s*" ~ mag ~ "?)\\s*(?:条|单|个|份|records|record|rows)'", 1) }}, ''),
            nullif({{ waybill_watch.regexp_extract(clean_text, "'(" ~ num ~ "\\s*" ~ mag ~ ")'", 1) }}, ''),
            nullif({{ waybill_watch.regexp_extract(clean_text, "'(" ~ num ~ ")'", 1) }}, '')
        )
    {%- endset -%}
    case
        when {{ clean_text }} is null then null
        when {{ waybill_watch.regexp_matches(clean_text, "'不限|无限|无上限|unlimited|管够|随便'") }} then null
        else cast(round(
            {{ waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(token, "'^(" ~ num ~ ")'", 1) ~ ", '')", waybill_watch.type_double_precision()) }}
            * {{ magnitude_factor(waybill_watch.regexp_extract(token, "'(" ~ mag ~ ")$'", 1)) }}
        ) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
