{#- Primary-key test for composite keys: no two rows share the same combination of the columns
    (rows where any key column is null are counted too, so a null key part is not hidden). -#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}

with grouped as (

    select
        {{ columns_csv }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}

),

final as (

    select *
    from grouped
    where n_rows > 1

)

select * from final
{% endtest %}
