{#- Month × region_code × channel market measures with roll-ups; see macros/marts/market_measures.sql.
    Built after int_listing_quarters_summarized (depends_on below), not beside it: both use all of
    DuckDB's memory limit and both cores, and side by side at 100M rows each took 4× longer
    (docs/marts.md "Scheduling the heavy models"). -#}
-- depends_on: {{ ref('int_listing_quarters_summarized') }}
{{ market_measures_sql('month') }}
