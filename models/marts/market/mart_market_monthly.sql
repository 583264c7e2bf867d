{#- Month × region_code × channel market measures with roll-ups; see macros/marts/market_measures.sql. -#}
{{ market_measures_sql('month') }}
