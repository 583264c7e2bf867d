{#- Freshness rules (SPEC §4): age of the records on offer. Input is parse_ready_text()
    (so 近三天 → 近3天, 一周内 → 1周内).
    realtime: same day / ≤ 24 h (当天 当日 今日 实时 24小时 1天内); recent: ≤ 7 days (3天内 7天 1周内 近期);
    historical: older (历史 老单 半年前 15天 2周 3个月); anything else, or empty: unknown. -#}
{% macro freshness_category(clean_text) -%}
    {%- set hours = waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(clean_text, "'([0-9]+(?:\\.[0-9]+)?)\\s*(?:个)?\\s*(?:小时|h\\b|hours?)'", 1) ~ ", '')", waybill_watch.type_double_precision()) -%}
    {%- set days = waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(clean_text, "'([0-9]+(?:\\.[0-9]+)?)\\s*(?:天|日|days?)'", 1) ~ ", '')", waybill_watch.type_double_precision()) -%}
    {%- set weeks = waybill_watch.try_cast("nullif(" ~ waybill_watch.regexp_extract(clean_text, "'([0-9]+(?:\\.[0-9]+)?)\\s*(?:个)?\\s*(?:周|星期|礼拜|weeks?)'", 1) ~ ", '')", waybill_watch.type_double_precision()) -%}
    case
        when {{ clean_text }} is null or {{ clean_text }} = '' then 'unknown'
        when {{ waybill_watch.regexp_matches(clean_text, "'历史|老单|旧单|旧数据|过期|陈单|存货|库存单|往期|往年|去年|前年|半年|年前|[0-9]+\\s*个?月|月前|old|histor'") }} then 'historical'
        when {{ hours }} is not null then
            case when {{ hours }} <= 24 then 'realtime' when {{ hours }} <= 168 then 'recent' else 'historical' end
        when {{ days }} is not null then
            case when {{ days }} <= 1 then 'realtime' when {{ days }} <= 7 then 'recent' else 'historical' end
        when {{ weeks }} is not null then
            case when {{ weeks }} <= 1 then 'recent' else 'historical' end
        when {{ waybill_watch.regexp_matches(clean_text, "'当天|当日|今日|今天|实时|即时|秒发|现单|热单|real.?time|today|same.?day'") }} then 'realtime'
        when {{ waybill_watch.regexp_matches(clean_text, "'近期|最近|近日|近几天|几天|本周|这周|上周|昨天|昨日|前天|新单|recent|week'") }} then 'recent'
        else 'unknown'
    end
{%- endmacro %}
