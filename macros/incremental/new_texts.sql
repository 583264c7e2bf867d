{#- The body of a text dictionary's "new texts" CTE (models/intermediate/normalized/): the distinct,
    non-null values of `column` in the CTE `texts` that the dictionary (an incremental append model)
    does not hold yet; every one of them on a full build. Each dictionary applies its rule to these
    only, so a text is normalized once, whatever the number of rows and runs that carry it. -#}
{% macro texts_not_yet_known(texts, column) %}
    select distinct texts_in.{{ column }}
    from {{ texts }} as texts_in
    where texts_in.{{ column }} is not null
    {%- if is_incremental() %}
        and not exists (select 1 from {{ this }} as known where known.{{ column }} = texts_in.{{ column }})
    {%- endif %}
{% endmacro %}
