{#- Primary-key test: the key (one column, or the combination `column_names`) is never null, in
    any part, and no two rows share it. One query and one dbt node where `unique` + `not_null` (and
    one `not_null` per part of a composite key) were two to four: a daily run's time is mostly
    dbt's per-node overhead (issue 7). Our conventions (tests/python/test_conventions.py) take
    it as the model's tested primary key, as dbt-project-evaluator takes the tests listed in its
    `primary_key_test_macros`. Column-level (`column_name`) for a single key, model-level
    (`column_names`) for a composite one. A failing test returns the offending keys with their
    row count: a null part, or n_rows > 1. -#}
{% test primary_key(model, column_name=none, column_names=none) %}
    {%- set key_columns = column_names if column_names else [column_name] %}
    {%- set columns_csv = key_columns | join(', ') %}

with

grouped as (

    select
        {{ columns_csv }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}

),

final as (

    select *
    from grouped
    where
        n_rows > 1
        {%- for column in key_columns %}
        or {{ column }} is null
        {%- endfor %}

)

select * from final
{% endtest %}
