{#- Listing × quarter state (SPEC §5); see macros/marts/listing_periods.sql.
    Built after int_listing_months_summarized (depends_on below), not beside it: the two share
    DuckDB's memory limit, and side by side at 100M rows they spilled and took 5× longer each. -#}
-- depends_on: {{ ref('int_listing_months_summarized') }}
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
