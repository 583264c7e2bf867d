{#- Generic test: none of `column_names` holds a null. One query (one scan, one dbt node) for all
    the columns of a model that must be filled, instead of one `not_null` test per column: the daily
    run's time is mostly dbt's per-node overhead (issue 7), and on the observation-level models
    each node is a scan of the batch. A failing test returns one row per column that has nulls,
    with their count. Key columns are checked by the model's `primary_key` test (test_primary_key.sql);
    contracted analyst tables use `constraints: not_null`, enforced when the table is built. -#}
{% test not_null_columns(model, column_names) %}

with

null_counts as (

    select
        {%- for column in column_names %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_in_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

final as (

    {%- for column in column_names %}
    select '{{ column }}' as column_name, nulls_in_{{ column }} as null_rows
    from null_counts
    where nulls_in_{{ column }} > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final

{% endtest %}
