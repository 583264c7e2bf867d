{#- Shared text preparation for the number-reading rules (price, quantity, freshness, amounts):
    lower case, full-width punctuation and digits to ASCII, Chinese numerals to digits
    (一二两三…九 → 1…9, 十 → 10 / 1x / x0), thousands separators removed. 百, 千, 万 stay:
    after a digit they are multipliers (三千条 → 3千条 → 3000). -#}
{% macro parse_ready_text(expression) -%}
    {%- set t = "lower(trim(" ~ expression ~ "))" -%}
    {%- set t = waybill_watch.translate_chars(
        t,
        "'￥，：～－—（）　０１２３４５６７８９．／一二两三四五六七八九〇零'",
        "'¥,:~--() 0123456789./122345678900'"
    ) -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'([0-9])十([0-9])'", "'\\1\\2'") -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'([0-9])十'", "'\\10'") -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'十([0-9])'", "'1\\1'") -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'十'", "'10'") -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'([0-9]),([0-9]{3})'", "'\\1\\2'") -%}
    {%- set t = waybill_watch.regexp_replace_all(t, "'([0-9]),([0-9]{3})'", "'\\1\\2'") -%}
    {{ t }}
{%- endmacro %}

{#- The multiplier of a Chinese/Latin magnitude word (百 100, 千/k 1000, 万/w 10000, 亿 1e8). -#}
{% macro magnitude_factor(word) -%}
    case {{ word }}
        when '百' then 100
        when '千' then 1000
        when 'k' then 1000
        when '万' then 10000
        when 'w' then 10000
        when '十万' then 100000
        when '百万' then 1000000
        when 'm' then 1000000
        when '千万' then 10000000
        when '亿' then 100000000
        else 1
    end
{%- endmacro %}

{#- Regex alternation of magnitude words, longest first. -#}
{% macro magnitude_words_regex() -%}(?:千万|百万|十万|百|千|k|万|w|亿){%- endmacro %}
