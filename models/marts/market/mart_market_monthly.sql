{#- Month × region_code × channel market measures with roll-ups; see macros/marts/market_measures.sql.
    Incremental (delete+insert on the month): a run recomputes only the months whose measures can
    have changed (macros/marts/market_periods.sql); at 100M observations a daily run changes
    listing-month rows of one month out of ~22. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month_start',
        on_schema_change='fail',
    )
}}
{%- set periods = market_periods_to_rebuild('month') %}
{{ market_measures_sql('month', periods.measured if periods is not none else none) }}
