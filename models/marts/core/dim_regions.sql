{#- Regions: the 34 province-level divisions (GB/T 2260 codes, 2020 census population) plus the
    non-province region codes multi, national and unknown. -#}
{{ config(tags=['seed_only']) }}
with

provinces as (
    select * from {{ ref('provinces') }}
),

province_rows as (
    select
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        'province' as region_type,
        name_zh,
        name_en,
        short_name_zh,
        abbreviation,
        alt_abbreviation,
        cast(is_mainland as boolean) as is_mainland,
        cast(population_2020 as {{ dbt.type_bigint() }}) as population_2020
    from provinces
),

group_rows as (
    select 'multi' as region_code, 'group' as region_type, '多省' as name_zh, 'Several provinces' as name_en
    union all
    select 'national', 'group', '全国', 'Nationwide'
    union all
    select 'unknown', 'group', '未知', 'Unknown'
),

final as (
    select * from province_rows
    union all
    select
        region_code,
        region_type,
        name_zh,
        name_en,
        cast(null as {{ dbt.type_string() }}) as short_name_zh,
        cast(null as {{ dbt.type_string() }}) as abbreviation,
        cast(null as {{ dbt.type_string() }}) as alt_abbreviation,
        cast(null as boolean) as is_mainland,
        cast(null as {{ dbt.type_bigint() }}) as population_2020
    from group_rows
)

select * from final
