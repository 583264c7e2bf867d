{#- Dated laws, notices and campaigns for annotating charts (seed policy_events), published with
    the dimensions so the report and analysts can read them from the analyst database. -#}
{{ config(tags=['seed_only']) }}
with

events as (
    select * from {{ ref('policy_events') }}
),

final as (
    select
        {{ waybill_watch.md5_hex(dbt.concat(["cast(event_date as " ~ dbt.type_string() ~ ")", "'|'", "title_en"])) }}
            as policy_event_id,
        cast(event_date as date) as event_date,
        event_type,
        scope,
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        title_zh,
        title_en,
        cast(is_synthetic as boolean) as is_synthetic,
        note
    from events
)

select * from final
