{#- dbt's `where` config of data tests, with one addition: `__this_batch__` stands for this
    invocation's load batch (`load_batch_at()`, the `loaded_at` that staging stamps on the rows it
    loads in this run). Tests on the observation-level models (one row per crawl row or fetch,
    ~100M rows a year) use `where: "loaded_at = __this_batch__"`: a `dbt build` tests the rows it
    loaded or re-chose, not the whole history again; a full build tests every row
    (docs/marts.md "Incremental runs"). The literal lets DuckDB skip old row groups. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__this_batch__', load_batch_at()) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
