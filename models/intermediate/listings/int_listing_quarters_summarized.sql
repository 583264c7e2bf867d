{#- Listing × quarter state (SPEC §5); see macros/marts/listing_periods.sql. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_changed_rows',
        unique_key=['listing_num', 'quarter_start'],
        rewrite_key='listing_num',
        on_schema_change='sync_all_columns',
    )
}}
{{ listing_periods_sql('quarter') }}
