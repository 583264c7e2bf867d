{#- Incremental strategy `replace_changed_rows` (the listing-period models; docs/marts.md
    "Incremental runs"). The new rows are every row of the listings a run recomputed (config
    `rewrite_key`: listing_num); a row whose values did not change keeps its earlier `loaded_at`,
    a new or changed one has this run's (macros/marts/listing_periods.sql). Only what changed is
    written: the target rows of those listings are deleted unless an unchanged new row has their
    key (`unique_key`), which also deletes the rows that vanished (a removal period that moved), and
    the new or changed rows are inserted. A daily run at 100M observations touches 179k listings
    with 733k listing-months, of which ~177k changed (the current month); rewriting all of them
    left DuckDB a checkpoint of every row group they were spread over. -#}
{% macro get_incremental_replace_changed_rows_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set rewrite_key = config.require('rewrite_key') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
delete from {{ target }} as target_rows
where
    exists (
        select 1
        from {{ source }} as new_rows
        where new_rows.{{ rewrite_key }} = target_rows.{{ rewrite_key }}
    )
    and not exists (
        select 1
        from {{ source }} as unchanged_rows
        where
            unchanged_rows.loaded_at <> {{ load_batch_at() }}
            {%- for key in keys %}
            and unchanged_rows.{{ key }} = target_rows.{{ key }}
            {%- endfor %}
    );
insert into {{ target }} ({{ columns }})
select {{ columns }}
from {{ source }}
where loaded_at = {{ load_batch_at() }}
{%- endmacro %}
