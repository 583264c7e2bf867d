{{ config(tags=['seed_only']) }}

with

channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        channel,
        name_en as name,
        name_zh,
        name_en
    from channels
)

select * from final
