{{ config(tags=['seed_only']) }}

with

agencies as (
    select * from {{ ref('agencies') }}
),

final as (
    select agency_code, name_zh, name_en
    from agencies
)

select * from final
