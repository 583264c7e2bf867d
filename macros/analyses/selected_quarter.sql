{#- The quarter an analysis looks at, as one row (quarter, quarter_start, quarter_end):
    var('analysis_quarter') when given, else the latest quarter of `periods` (a quarterly
    relation or CTE name) where `has_data_column` > 0. -#}
{% macro selected_quarter(periods, has_data_column) -%}
    {%- set analysis_quarter = var('analysis_quarter', none) -%}
    select
        quarter,
        min(quarter_start) as quarter_start,
        min({{ add_months('quarter_start', 3) }}) as quarter_end
    from {{ periods }}
    where quarter = {% if analysis_quarter %}'{{ analysis_quarter }}'{% else %}(
        select max(quarter) from {{ periods }} where {{ has_data_column }} > 0
    ){% endif %}
    group by quarter
{%- endmacro %}
