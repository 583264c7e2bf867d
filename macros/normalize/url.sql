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

{#- The text a listing's identity is hashed from (SPEC §5): the site and the listing id, or the site
    and the normalized url when the listing has no id. The tag keeps the two kinds apart. -#}
{% macro listing_identity(site, listing_id, url_normalized) -%}
    {{ dbt.concat([
        site, "'|'",
        "case when " ~ listing_id ~ " is not null then 'id|' || " ~ listing_id ~ " else 'url|' || coalesce(" ~ url_normalized ~ ", '') end"
    ]) }}
{%- endmacro %}

{#- listing_num: the listing's key inside the warehouse, a 64-bit integer from the md5 of its identity
    (`md5_number`: 2^62 plus the md5's first 15 hex digits). Every de-duplicated observation, state
    row and listing row carries it: a unique 32-character md5 text was the dearest column to write
    and to group by at 100M observations (bench/results_notes.md, session 16). -#}
{% macro listing_num(site, listing_id, url_normalized) -%}
    {{ waybill_watch.md5_number(waybill_watch.listing_identity(site, listing_id, url_normalized)) }}
{%- endmacro %}

{#- listing_key (SPEC §5, fct_listings): listing_num as 16 lower-case hex digits, i.e. '4' and the
    first 15 hex digits of the md5 of the listing's identity. Text, so that a spreadsheet does not
    round it as it would a 19-digit number. -#}
{% macro listing_key(listing_num) -%}
    {{ waybill_watch.bigint_hex(listing_num) }}
{%- endmacro %}

{#- A row's stable id within bronze: md5 hex of file_hash and line_no. -#}
{% macro row_version_id(file_hash, line_no) -%}
    {{ waybill_watch.md5_hex(dbt.concat([file_hash, "'|'", "cast(" ~ line_no ~ " as " ~ dbt.type_string() ~ ")"])) }}
{%- endmacro %}
