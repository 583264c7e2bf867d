{#- Dictionary matching shared by the seed-driven rules (location, carrier, agency, leak stage).
    Run once per DISTINCT text (int_*_texts_normalized), never per row.

    alias_hits(): every alias of `aliases` found in the cleaned (trimmed, lower-case) text:
    an ASCII alias must stand as whole words (ems is not found in "items"; its position is then
    taken in the space-separated ASCII words); other aliases are
    found anywhere in the text; aliases whose `match_type` column is 'exact' (when the seed has
    one) must equal the whole text. Columns: text_value, clean_text, hit_position, alias_length,
    plus every column of `aliases`. -#}
{% macro alias_hits(texts, text_column, aliases, has_match_type=false) -%}
    select
        texts.text_value,
        texts.clean_text,
        case
            when aliases.is_ascii_alias then {{ dbt.position("' ' || aliases.alias || ' '", 'texts.ascii_words') }}
            else {{ dbt.position('aliases.alias', 'texts.clean_text') }}
        end as hit_position,
        {{ dbt.length('aliases.alias') }} as alias_length,
        aliases.*
    from (
        select
            text_value,
            clean_text,
            {#- ASCII words padded by spaces: a whole-word test is then a plain substring test
                (no regex per text × alias pair) -#}
            {{ dbt.concat(["' '", waybill_watch.regexp_replace_all('clean_text', "'[^a-z0-9&]+'", "' '"), "' '"]) }} as ascii_words
        from (
            select distinct
                {{ text_column }} as text_value,
                lower(trim({{ text_column }})) as clean_text
            from {{ texts }}
            where {{ text_column }} is not null
        ) as distinct_texts
    ) as texts
    inner join (
        select
            *,
            {{ waybill_watch.regexp_matches("alias", "'^[ -~]+$'") }} as is_ascii_alias
        from {{ aliases }}
    ) as aliases
        on
        {%- if has_match_type %}
            (aliases.match_type = 'exact' and aliases.alias = texts.clean_text)
            or (aliases.match_type <> 'exact' and (
        {%- else %} ((
        {%- endif %}
                (aliases.is_ascii_alias and {{ dbt.position("' ' || aliases.alias || ' '", 'texts.ascii_words') }} > 0)
                or (not aliases.is_ascii_alias and {{ dbt.position('aliases.alias', 'texts.clean_text') }} > 0)
            ))
{%- endmacro %}

{#- Drop a hit that overlaps a longer hit of the same text (内蒙 inside 内蒙古, 西南 inside 黔西南);
    between hits of equal length the one with the lower `tie_rank` wins. -#}
{% macro drop_overlapped_hits(hits, tie_rank='0') -%}
    select hits.*
    from {{ hits }} as hits
    where not exists (
        select 1
        from {{ hits }} as other
        where other.text_value = hits.text_value
          and other.hit_position < hits.hit_position + hits.alias_length
          and hits.hit_position < other.hit_position + other.alias_length
          and (
              other.alias_length > hits.alias_length
              or (other.alias_length = hits.alias_length
                  and {{ tie_rank | replace('@', 'other.') }} < {{ tie_rank | replace('@', 'hits.') }})
          )
    )
{%- endmacro %}
