{#- The columns every bronze feed table carries (docs/bronze.md "Common columns"), typed:
    which landed file a row came from, where in it, and its content hash. -#}
{% macro bronze_file_columns(with_row_hash=true) -%}
        cast(file_hash as {{ dbt.type_string() }}) as file_hash,
        cast(file_path as {{ dbt.type_string() }}) as file_path,
        cast(file_mtime as {{ dbt.type_timestamp() }}) as file_mtime,
        cast(line_no as {{ dbt.type_bigint() }}) as line_no,
        {%- if with_row_hash %}
        cast(row_hash as {{ dbt.type_string() }}) as row_hash,
        {%- endif %}
{%- endmacro %}
