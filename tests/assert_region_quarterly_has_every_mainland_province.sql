-- SPEC §6: mart_region_quarterly has, in every quarter, one row for each of the 31 mainland
-- province-level divisions. Returns the quarters that do not.
with

regions as (

    select * from {{ ref('mart_region_quarterly') }}

),

mainland_rows as (

    select
        quarter,
        sum(case when is_mainland then 1 else 0 end) as mainland_provinces
    from regions
    group by quarter

),

final as (

    select *
    from mainland_rows
    where mainland_provinces <> 31

)

select * from final
