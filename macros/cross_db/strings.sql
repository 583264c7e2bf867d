{#- Hex MD5 of a string: the project's stable key hash (listing_num, observation_id). -#}
{% macro md5_hex(expression) -%}
    {{ return(adapter.dispatch('md5_hex', 'waybill_watch')(expression)) }}
{%- endmacro %}

{% macro default__md5_hex(expression) -%}
    lower(md5(cast({{ expression }} as {{ dbt.type_string() }})))
{%- endmacro %}

{% macro duckdb__md5_hex(expression) -%}
    md5(cast({{ expression }} as varchar))
{%- endmacro %}

{#- Replace characters one for one (SQL TRANSLATE; BigQuery and DuckDB spell it the same). -#}
{% macro translate_chars(expression, from_chars, to_chars) -%}
    {{ return(adapter.dispatch('translate_chars', 'waybill_watch')(expression, from_chars, to_chars)) }}
{%- endmacro %}

{% macro default__translate_chars(expression, from_chars, to_chars) -%}
    translate({{ expression }}, {{ from_chars }}, {{ to_chars }})
{%- endmacro %}

{#- Number of distinct, non-empty, trimmed, lower-cased items of a delimited string (null → null). -#}
{% macro count_distinct_split(expression, delimiter) -%}
    {{ return(adapter.dispatch('count_distinct_split', 'waybill_watch')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__count_distinct_split(expression, delimiter) -%}
    (
        select count(distinct lower(trim(item)))
        from unnest(string_to_array({{ expression }}, {{ delimiter }})) as items (item)
        where trim(item) <> ''
    )
{%- endmacro %}

{% macro duckdb__count_distinct_split(expression, delimiter) -%}
    length(list_distinct(list_filter(
        list_transform(string_split({{ expression }}, {{ delimiter }}), lambda x: lower(trim(x))),
        lambda x: x <> ''
    )))
{%- endmacro %}

{#- Distinct values of a group, sorted and joined by `delimiter` (an aggregate). -#}
{% macro string_agg_distinct_sorted(expression, delimiter) -%}
    {{ return(adapter.dispatch('string_agg_distinct_sorted', 'waybill_watch')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_distinct_sorted(expression, delimiter) -%}
    string_agg(distinct {{ expression }}, {{ delimiter }} order by {{ expression }})
{%- endmacro %}

{% macro snowflake__string_agg_distinct_sorted(expression, delimiter) -%}
    listagg(distinct {{ expression }}, {{ delimiter }}) within group (order by {{ expression }})
{%- endmacro %}

{#- `left` equals `right`, or both are null. -#}
{% macro equal_or_both_null(left, right) -%}
    {{ return(adapter.dispatch('equal_or_both_null', 'waybill_watch')(left, right)) }}
{%- endmacro %}

{% macro default__equal_or_both_null(left, right) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}

{#- An integer from the md5 of `expression`: 2^62 plus its first 15 hex digits (60 bits), a compact
    stand-in for a long text key inside the warehouse (int_seller_keys_numbered). 2^62 puts every
    value at 19 digits, so no number reads as personal data to the SPEC §8 scans (an 18-digit ID
    number, an 11-digit mobile, a 12–15-digit waybill number). Two texts with the same number are
    possible (about n² / 2^61 for n texts) and fail that model's unique test. -#}
{% macro md5_number(expression) -%}
    {{ return(adapter.dispatch('md5_number', 'waybill_watch')(expression)) }}
{%- endmacro %}

{% macro default__md5_number(expression) -%}
    (4611686018427387904 + cast(conv(substr({{ waybill_watch.md5_hex(expression) }}, 1, 15), 16, 10) as {{ dbt.type_bigint() }}))
{%- endmacro %}

{% macro duckdb__md5_number(expression) -%}
    (4611686018427387904 + cast(('0x' || substr({{ waybill_watch.md5_hex(expression) }}, 1, 15)) as bigint))
{%- endmacro %}

{#- A positive bigint as lower-case hex digits, without leading zeros (listing_key). -#}
{% macro bigint_hex(expression) -%}
    {{ return(adapter.dispatch('bigint_hex', 'waybill_watch')(expression)) }}
{%- endmacro %}

{% macro default__bigint_hex(expression) -%}
    lower(hex({{ expression }}))
{%- endmacro %}

{% macro postgres__bigint_hex(expression) -%}
    to_hex({{ expression }})
{%- endmacro %}

{#- A 64-bit hash of `expressions` (a list), for grouping within one query only: not stable across
    engines or versions, never stored. Two different keys may share a hash: a caller compares the
    keys themselves among the rows it narrows down to (macros/tests/test_primary_key.sql). -#}
{% macro hash64(expressions) -%}
    {{ return(adapter.dispatch('hash64', 'waybill_watch')(expressions)) }}
{%- endmacro %}

{% macro default__hash64(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}

{% macro duckdb__hash64(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}
