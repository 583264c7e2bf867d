{#- Period helpers (SPEC §3, §6): every day, month and quarter is an Asia/Shanghai local one.
    China has kept UTC+8 without daylight saving since 1991, so local time is a fixed offset
    and needs no time-zone database on any engine. -#}

{#- A naive UTC instant → Asia/Shanghai wall time (timestamp). -#}
{% macro to_shanghai_local(ts_utc) -%}
    cast({{ dbt.dateadd('hour', 8, ts_utc) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A naive UTC instant → the Asia/Shanghai local date. -#}
{% macro shanghai_local_date(ts_utc) -%}
    cast({{ to_shanghai_local(ts_utc) }} as date)
{%- endmacro %}

{#- An Asia/Shanghai wall time → the naive UTC instant (inverse of to_shanghai_local). -#}
{% macro shanghai_local_to_utc(ts_local) -%}
    cast({{ dbt.dateadd('hour', -8, ts_local) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- First day of the month of a local date. -#}
{% macro month_start(local_date) -%}
    cast({{ dbt.date_trunc('month', local_date) }} as date)
{%- endmacro %}

{#- First day of the quarter of a local date. -#}
{% macro quarter_start(local_date) -%}
    cast({{ dbt.date_trunc('quarter', local_date) }} as date)
{%- endmacro %}

{#- The quarter label of a local date, e.g. '2026Q3'. -#}
{% macro quarter_label(local_date) -%}
    {{ dbt.concat([
        "cast(extract(year from " ~ local_date ~ ") as " ~ dbt.type_string() ~ ")",
        "'Q'",
        "cast(extract(quarter from " ~ local_date ~ ") as " ~ dbt.type_string() ~ ")",
    ]) }}
{%- endmacro %}

{#- A date moved by whole months, still a date (dateadd returns a timestamp on some engines). -#}
{% macro add_months(local_date, months) -%}
    cast({{ dbt.dateadd('month', months, local_date) }} as date)
{%- endmacro %}

{#- A date moved by whole days, still a date. -#}
{% macro add_days(local_date, days) -%}
    cast({{ dbt.dateadd('day', days, local_date) }} as date)
{%- endmacro %}

{#- The three period columns of SPEC §6 for a local date, prefixed (e.g. 'opened_'). -#}
{% macro period_columns(local_date, prefix='') -%}
    {{ month_start(local_date) }} as {{ prefix }}month_start,
    {{ quarter_label(local_date) }} as {{ prefix }}quarter,
    {{ quarter_start(local_date) }} as {{ prefix }}quarter_start
{%- endmacro %}

{#- Percent change in percent (12.5 = +12.5 %), null when the base is null or zero. -#}
{% macro pct_change(current_value, previous_value) -%}
    case
        when {{ previous_value }} is null or {{ previous_value }} = 0 or {{ current_value }} is null then null
        else 100.0 * ({{ current_value }} - {{ previous_value }}) / {{ previous_value }}
    end
{%- endmacro %}
