{#- Listing × quarter state (SPEC §5); see macros/marts/listing_periods.sql. -#}
{{ listing_periods_sql('quarter') }}
