{#- Agency and leak-stage rules (SPEC §4): the alias with the lowest `priority` found in the text
    wins (ties: the longer alias), so 深圳市公安局 → MPS and 广东省邮政管理局 → SPB.
    Empty text → `empty_value`; text with no known term → `other_value`.
    Returns: <text_column>, <code_column>. -#}
{% macro normalize_ranked_term_texts(texts, text_column, aliases, code_column, empty_value, other_value) -%}
with

hits as (
    {{ waybill_watch.alias_hits(texts, text_column, aliases) }}
),

ranked as (
    select
        text_value,
        {{ code_column }},
        row_number() over (
            partition by text_value
            order by priority, alias_length desc, {{ code_column }}
        ) as term_rank
    from hits
),

distinct_texts as (
    select distinct {{ text_column }} as text_value, trim({{ text_column }}) as trimmed_text
    from {{ texts }}
    where {{ text_column }} is not null
)

select
    texts.text_value as {{ text_column }},
    case
        when texts.trimmed_text = '' then '{{ empty_value }}'
        else coalesce(ranked.{{ code_column }}, '{{ other_value }}')
    end as {{ code_column }}
from distinct_texts as texts
left join ranked
    on texts.text_value = ranked.text_value
    and ranked.term_rank = 1
{%- endmacro %}

{#- `aliases` = the seed agency_aliases. -#}
{% macro normalize_agency_texts(texts, text_column, aliases) -%}
    {{ normalize_ranked_term_texts(texts, text_column, aliases, 'agency_code', 'UNKNOWN', 'OTHER') }}
{%- endmacro %}

{#- `aliases` = the seed leak_stage_terms. -#}
{% macro normalize_leak_stage_texts(texts, text_column, aliases) -%}
    {{ normalize_ranked_term_texts(texts, text_column, aliases, 'leak_stage', 'unknown', 'unknown') }}
{%- endmacro %}
