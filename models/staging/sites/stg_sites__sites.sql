{#- One row per site per landed version of RAW/sites.csv: trimmed and lower-cased; a channel
    outside the SPEC §4 list becomes 'unknown' (and is reported by a warn test). -#}
with

source as (
    select * from {{ source('sites', 'sites') }}
),

renamed as (
    select
        {{ bronze_file_columns(with_row_hash=false) }}
        lower(trim(cast(site as {{ dbt.type_string() }}))) as site,
        lower(trim(cast(channel as {{ dbt.type_string() }}))) as channel_text,
        nullif(trim(cast(name as {{ dbt.type_string() }})), '') as name
    from source
),

final as (
    select
        *,
        case
            when channel_text in (
                'ecommerce_platform', 'trading_site', 'im_group', 'forum', 'darknet_market', 'paste_site'
            ) then channel_text
            else 'unknown'
        end as channel
    from renamed
    where site is not null and site <> ''
)

select * from final
