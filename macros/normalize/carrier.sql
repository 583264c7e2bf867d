{#- Carrier rules (SPEC §4) over distinct texts, with `aliases` = the seed carrier_aliases (三通一达 has four
    rows: STO, YTO, YUNDA, ZTO; 全网 / 各大快递 → ALL). carrier_codes: ALL when any every-carrier
    term is named, else the distinct codes sorted and joined with |, else UNKNOWN.
    first_carrier_code: the code named first in the text (ties: alphabetical), UNKNOWN when none.
    Returns: carrier_text, carrier_codes, first_carrier_code. -#}
{% macro normalize_carrier_texts(texts, text_column, aliases) -%}
with

raw_hits as (
    {{ waybill_watch.alias_hits(texts, text_column, aliases) }}
),

hits as (
    {{ waybill_watch.drop_overlapped_hits('raw_hits') }}
),

distinct_texts as (
    select distinct {{ text_column }} as text_value
    from {{ texts }}
    where {{ text_column }} is not null
),

code_lists as (
    select
        text_value,
        max(case when carrier_code = 'ALL' then 1 else 0 end) as has_all,
        {{ waybill_watch.string_agg_distinct_sorted('carrier_code', "'|'") }} as codes
    from hits
    group by text_value
),

first_named as (
    select
        text_value,
        carrier_code,
        row_number() over (partition by text_value order by hit_position, carrier_code) as carrier_rank
    from hits
)

select
    texts.text_value as carrier_text,
    case
        when code_lists.has_all = 1 then 'ALL'
        else coalesce(code_lists.codes, 'UNKNOWN')
    end as carrier_codes,
    coalesce(first_named.carrier_code, 'UNKNOWN') as first_carrier_code
from distinct_texts as texts
left join code_lists
    on texts.text_value = code_lists.text_value
left join first_named
    on texts.text_value = first_named.text_value
    and first_named.carrier_rank = 1
{%- endmacro %}
