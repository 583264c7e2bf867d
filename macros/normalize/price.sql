{#- Price rules (SPEC §4). A price text is read in two steps over parse_ready_text():
    1. price_token(): the tail of the text starting at the listing's price: the first number with
       a currency marker (¥ RMB CNY USDT USD $ BTC before it, or 元 块 毛 角 分 U USDT USD 美元 BTC
       after it); else the first number followed by "/<unit>" (400/w); else a number after a price
       label (单价0.5); else a bare number (0.8). A number followed only by a record unit
       (100单起, 满1万条) is a quantity condition, never a price.
    2. price_token_parts(), then price_per_record() / price_currency(): read the token as
       [currency] amount[-amount] [money word] [/|每|per] [count] [百|千|k|万|w] [条|单|个|份|record].
       A range is its midpoint; 毛/角 = 0.1 and 分 = 0.01 yuan; no count or unit = 1 record;
       no currency = CNY; zero or negative = no price. -#}

{% macro price_number_regex() -%}[0-9]+(?:\.[0-9]+)?{%- endmacro %}
{% macro price_currency_prefix_regex() -%}(?:¥|rmb|cny|usdt|usd|\$|btc){%- endmacro %}
{% macro price_money_word_regex() -%}(?:美元|美金|元|块|毛|角|分|usdt|usd|u|btc|rmb|cny){%- endmacro %}
{% macro price_range_regex() -%}(?:\s*(?:-|~|至|到)\s*{{ price_number_regex() }})?{%- endmacro %}

{% macro price_token(clean_text) -%}
    {%- set num = price_number_regex() -%}
    {%- set with_currency = "'((?:" ~ price_currency_prefix_regex() ~ "\\s*" ~ num ~ "|" ~ num ~ price_range_regex()
        ~ "\\s*" ~ price_money_word_regex() ~ ").*)$'" -%}
    {%- set with_denominator = "'(" ~ num ~ price_range_regex() ~ "\\s*/\\s*(?:" ~ num ~ ")?\\s*(?:"
        ~ "千万|百万|十万|百|千|k|万|w|条|单|个|份|record).*)$'" -%}
    {%- set after_label = "'(?:单价|价格|价钱|售价|报价|price)\\s*:?\\s*(" ~ num ~ ".*)$'" -%}
    {%- set bare = "'^\\s*(" ~ num ~ ")\\s*$'" -%}
    coalesce(
        nullif({{ waybill_watch.regexp_extract(clean_text, with_currency, 1) }}, ''),
        nullif({{ waybill_watch.regexp_extract(clean_text, with_denominator, 1) }}, ''),
        nullif({{ waybill_watch.regexp_extract(clean_text, after_label, 1) }}, ''),
        nullif({{ waybill_watch.regexp_extract(clean_text, bare, 1) }}, '')
    )
{%- endmacro %}

{#- The anchored reading of a price token; capture groups:
    1 currency prefix, 2 amount, 3 range end, 4 money word, 5 record count, 6 magnitude, 7 unit. -#}
{% macro price_token_regex() -%}
    {%- set num = price_number_regex() -%}
    '^({{ price_currency_prefix_regex() }})?\s*({{ num }})(?:\s*(?:-|~|至|到)\s*({{ num }}))?\s*({{ price_money_word_regex() }})?(?:\s*(?:/|每|per|for)\s*)?({{ num }})?\s*({{ magnitude_words_regex() }})?\s*(条|单|个|份|records|record|rec)?'
{%- endmacro %}

{#- The capture groups of price_token_regex() as named columns (a select list). -#}
{% macro price_token_parts(token) -%}
    {%- set number_type = waybill_watch.type_double_precision() -%}
    {%- set pattern = price_token_regex() -%}
    nullif({{ waybill_watch.regexp_extract(token, pattern, 1) }}, '') as currency_prefix,
    {{ waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(token, pattern, 2) ~ ", '')", number_type) }} as amount_low,
    {{ waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(token, pattern, 3) ~ ", '')", number_type) }} as amount_high,
    nullif({{ waybill_watch.regexp_extract(token, pattern, 4) }}, '') as money_word,
    {{ waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(token, pattern, 5) ~ ", '')", number_type) }} as record_count,
    nullif({{ waybill_watch.regexp_extract(token, pattern, 6) }}, '') as record_magnitude
{%- endmacro %}

{#- Price per record from the columns of price_token_parts(): the midpoint of the amount, in
    yuan-equivalent units of its currency, over the records it buys. -#}
{% macro price_per_record(amount_low, amount_high, money_word, record_count, record_magnitude) -%}
    {%- set amount = "((" ~ amount_low ~ " + coalesce(" ~ amount_high ~ ", " ~ amount_low ~ ")) / 2.0)" -%}
    {%- set money_divisor = "(case " ~ money_word ~ " when '毛' then 10 when '角' then 10 when '分' then 100 else 1 end)" -%}
    {%- set records = "(coalesce(" ~ record_count ~ ", 1) * " ~ magnitude_factor(record_magnitude) ~ ")" -%}
    case
        when {{ amount }} > 0 and {{ records }} > 0
            then {{ waybill_watch.round_significant(amount ~ " / (" ~ money_divisor ~ " * " ~ records ~ ")") }}
    end
{%- endmacro %}

{#- Currency from the columns of price_token_parts(). -#}
{% macro price_currency(currency_prefix, money_word) -%}
    case
        when {{ currency_prefix }} = 'usdt' or {{ money_word }} in ('usdt', 'u') then 'USDT'
        when {{ currency_prefix }} in ('usd', '$') or {{ money_word }} in ('usd', '美元', '美金') then 'USD'
        when {{ currency_prefix }} = 'btc' or {{ money_word }} = 'btc' then 'BTC'
        else 'CNY'
    end
{%- endmacro %}

{#- Currency code of a structured price: upper-case, CNY when missing, common spellings mapped. -#}
{% macro normalize_currency_code(expression) -%}
    case upper(trim(coalesce({{ expression }}, '')))
        when '' then 'CNY'
        when 'RMB' then 'CNY'
        when 'CNH' then 'CNY'
        when '¥' then 'CNY'
        when '￥' then 'CNY'
        when 'YUAN' then 'CNY'
        when 'US$' then 'USD'
        when '$' then 'USD'
        when 'U' then 'USDT'
        when 'XBT' then 'BTC'
        else upper(trim({{ expression }}))
    end
{%- endmacro %}

{#- Structured price per record: amount / records (default 1); 0 or less → no price. -#}
{% macro structured_price_per_record(amount, per_records) -%}
    case
        when {{ amount }} > 0 and coalesce({{ per_records }}, 1) > 0
            then {{ waybill_watch.round_significant(amount ~ " / coalesce(" ~ per_records ~ ", 1)") }}
    end
{%- endmacro %}
