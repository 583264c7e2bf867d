{#- Quarter × region_code × carrier_code × leak_stage incidents (SPEC §6): counted in the quarter
    they were reported, unfounded ones excluded. Unknown record counts add nothing. -#}

with

incidents as (

    select * from {{ ref('fct_incidents') }}
    where is_counted

),

final as (

    select
        quarter,
        quarter_start,
        region_code,
        carrier_code,
        leak_stage,
        cast(count(*) as {{ dbt.type_bigint() }}) as incidents,
        cast(coalesce(sum(records_affected), 0) as {{ dbt.type_bigint() }}) as records_affected
    from incidents
    group by quarter, quarter_start, region_code, carrier_code, leak_stage

)

select * from final
