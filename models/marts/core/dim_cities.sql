{#- Prefecture-level cities (GB/T 2260 codes, 2020 census population): the names behind city_code. -#}
{{ config(tags=['seed_only']) }}
with

cities as (
    select * from {{ ref('cities') }}
),

final as (
    select
        cast(city_code as {{ dbt.type_string() }}) as city_code,
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        name_zh,
        short_name_zh,
        cast(population_2020 as {{ dbt.type_bigint() }}) as population_2020
    from cities
)

select * from final
