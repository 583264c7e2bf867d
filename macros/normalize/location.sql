{#- Location rules (SPEC §4) over distinct texts of `texts`.`text_column`, with `aliases` = the alias seed
    region_aliases (provinces: full, short and English names, one-character abbreviations as the
    whole text only; prefecture cities: full and short names; multi-province groups; national terms).
    region_code: a named group (江浙沪) or several provinces → multi; one province (or the province
    of the named cities) → its 6-digit code; else a national term → national; else unknown.
    city_code: the first-named city of that province, else null (吉林 is the province, 吉林市 the city).
    Returns: location_text, region_code, city_code. -#}
{% macro normalize_location_texts(texts, text_column, aliases) -%}
with

raw_hits as (
    {{ waybill_watch.alias_hits(texts, text_column, aliases, has_match_type=true) }}
),

ranked_hits as (
    select
        text_value,
        hit_position,
        alias_length,
        alias_kind,
        region_code,
        {#- an empty seed cell is null in the seed table but '' in a unit-test fixture -#}
        nullif(trim(city_code), '') as city_code,
        case when alias_kind in ('multi', 'national') then 1 else 0 end as is_group,
        {#- between overlapping hits of equal length: province, then city, then group
            (青海西宁 is 青海 + 西宁, not 海西; 江西南昌 is 江西 + 南昌, not 西南; 江苏南京 not 苏南) -#}
        case
            when alias_kind in ('multi', 'national', 'region_group') then 2
            when nullif(trim(city_code), '') is not null then 1
            else 0
        end as overlap_rank
    from raw_hits
),

hits as (
    {{ waybill_watch.drop_overlapped_hits('ranked_hits', '@overlap_rank') }}
),

distinct_texts as (
    select distinct {{ text_column }} as text_value
    from {{ texts }}
    where {{ text_column }} is not null
),

summary as (
    select
        text_value,
        max(case when alias_kind = 'multi' then 1 else 0 end) as has_multi,
        max(case when alias_kind = 'national' then 1 else 0 end) as has_national,
        count(distinct case when is_group = 0 and city_code is null then region_code end) as province_count,
        min(case when is_group = 0 and city_code is null then region_code end) as province_code,
        count(distinct case when city_code is not null then region_code end) as city_province_count,
        min(case when city_code is not null then region_code end) as city_province_code
    from hits
    group by text_value
),

regions as (
    select
        texts.text_value,
        case
            when summary.has_multi = 1 then 'multi'
            when summary.province_count > 1 then 'multi'
            when summary.province_count = 1 then summary.province_code
            when summary.city_province_count > 1 then 'multi'
            when summary.city_province_count = 1 then summary.city_province_code
            when summary.has_national = 1 then 'national'
            else 'unknown'
        end as region_code
    from distinct_texts as texts
    left join summary
        on texts.text_value = summary.text_value
),

cities as (
    select
        hits.text_value,
        hits.city_code,
        row_number() over (
            partition by hits.text_value
            order by hits.hit_position, hits.alias_length desc, hits.city_code
        ) as city_rank
    from hits
    inner join regions
        on hits.text_value = regions.text_value
        and hits.region_code = regions.region_code
    where hits.city_code is not null
)

select
    regions.text_value as location_text,
    regions.region_code,
    cast(cities.city_code as {{ dbt.type_string() }}) as city_code
from regions
left join cities
    on regions.text_value = cities.text_value
    and cities.city_rank = 1
{%- endmacro %}

{#- The text an incident or case is located by: its province and city columns, joined by a space. -#}
{% macro location_lookup_text(province, city) -%}
    nullif(trim({{ dbt.concat(["coalesce(" ~ province ~ ", '')", "' '", "coalesce(" ~ city ~ ", '')"]) }}), '')
{%- endmacro %}
