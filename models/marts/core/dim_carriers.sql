{{ config(tags=['seed_only']) }}

with

carriers as (
    select * from {{ ref('carriers') }}
),

final as (
    select carrier_code, name_zh, name_en
    from carriers
)

select * from final
