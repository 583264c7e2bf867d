{#- Incremental strategy `delete_insert_in_range` (docs/marts.md "Incremental runs"): dbt's
    delete+insert on `unique_key`, except that the delete reads only the part of the target inside
    the new rows' range of the model's `range_key` config, a column every row of a key shares (the
    fetch instant of a (listing, instant) key; the month of a listing-month), so a key's old rows
    lie in that range too. The range is read from the new rows and inlined as literals: DuckDB
    skips the target's row groups outside it (zone maps). dbt's own delete compares the key of
    every target row: 9.8 s of the 13.8 s merge of a 400,000-row day into 100M de-duplicated rows.
    Written with `exists` (a semi-join) and a target alias, which Spark's Delta DELETE also takes. -#}
{% macro get_incremental_delete_insert_in_range_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set range_key = config.require('range_key') -%}
    {%- set bounds = new_rows_range(source, range_key) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if bounds is not none %}
delete from {{ target }} as target_rows
where
    target_rows.{{ range_key }} between {{ bounds[0] }} and {{ bounds[1] }}
    and exists (
        select 1
        from {{ source }} as new_rows
        where
            {%- for key in keys %}
            new_rows.{{ key }} = target_rows.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    );
    {%- endif %}
insert into {{ target }} ({{ columns }})
select {{ columns }}
from {{ source }}
{%- endmacro %}

{#- (least, greatest) of `column` in `relation` as SQL literals of the column's type, or none when
    the relation has no rows. -#}
{% macro new_rows_range(relation, column) -%}
    {%- set data_type = (adapter.get_columns_in_relation(relation) | selectattr('name', 'equalto', column) | first).data_type -%}
    {%- set result = run_query(
        'select cast(min(' ~ column ~ ') as ' ~ dbt.type_string() ~ '), cast(max(' ~ column ~ ') as '
        ~ dbt.type_string() ~ ') from ' ~ relation
    ) -%}
    {%- set row = result.rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(["cast('" ~ row[0] ~ "' as " ~ data_type ~ ")", "cast('" ~ row[1] ~ "' as " ~ data_type ~ ")"]) }}
{%- endmacro %}
