{#- URL normalization (SPEC §3.1, listing_id row): lower-case scheme and host, no fragment,
    no utm_* query parameters, no trailing slash. Path and other parameters keep their case. -#}
{% macro normalize_url(expression) -%}
    {%- set u = "trim(" ~ expression ~ ")" -%}
    {%- set u = waybill_watch.regexp_replace_all(u, "'#.*$'", "''") -%}
    {%- set scheme_host = waybill_watch.regexp_extract(u, "'^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)'", 1) -%}
    {%- set u = dbt.concat(["lower(" ~ scheme_host ~ ")", "substr(" ~ u ~ ", " ~ dbt.length(scheme_host) ~ " + 1)"]) -%}
    {%- set u = waybill_watch.regexp_replace_all(u, "'[?&][uU][tT][mM]_[^&]*'", "''") -%}
    {%- set u = waybill_watch.regexp_replace_all(u, "'^([^?&]*)&'", "'\\1?'") -%}
    {%- set u = waybill_watch.regexp_replace_all(u, "'\\?$'", "''") -%}
    {%- set u = waybill_watch.regexp_replace_all(u, "'/+(\\?[^?]*)?$'", "'\\1'") -%}
    nullif({{ u }}, '')
{%- endmacro %}

{#- listing_key (SPEC §5): md5 hex of the site and the listing id, or of the site and the
    normalized url when the listing has no id. The tag keeps the two kinds apart. -#}
{% macro listing_key(site, listing_id, url_normalized) -%}
    {{ waybill_watch.md5_hex(dbt.concat([
        site, "'|'",
        "case when " ~ listing_id ~ " is not null then 'id|' || " ~ listing_id ~ " else 'url|' || coalesce(" ~ url_normalized ~ ", '') end"
    ])) }}
{%- endmacro %}

{#- A row's stable id within bronze: md5 hex of file_hash and line_no. -#}
{% macro row_version_id(file_hash, line_no) -%}
    {{ waybill_watch.md5_hex(dbt.concat([file_hash, "'|'", "cast(" ~ line_no ~ " as " ~ dbt.type_string() ~ ")"])) }}
{%- endmacro %}
