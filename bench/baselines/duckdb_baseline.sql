-- Hand-written DuckDB baseline for issue #7: the ten required analyst tables (SPEC §6) straight from the
-- raw landing files, in one script, as a competent analyst would write it in DuckDB's own dialect.
-- Run by duckdb_baseline.py, which substitutes {raw}, {seeds}, {sites_files}, {incident_files},
-- {case_files} (lists of quoted paths) and copies each final table to OUT/<table>.parquet.
--
-- WHAT IS SIMPLIFIED against the real pipeline (the baseline does at most the same work, so the
-- pipeline's ratio against it is conservative). The polars and pandas baselines make exactly the same
-- simplifications:
--  * No ingest boundary: no audit, no quarantine table, no bronze files, no validation suite, no tests,
--    no publication swap. Malformed JSON lines are skipped (ignore_errors); rows without run_id, site,
--    url or a parsable fetched_at are dropped. A case file without an `agency` column is dropped whole.
--  * No privacy work beyond what the tables need: seller_key is a plain md5 of the trimmed, lower-cased
--    handle (no HMAC key); listing_key is '4' and the first 15 hex digits of md5(site || '|' || listing id or normalized url). Texts are
--    not masked (no text columns are output).
--  * Times: naive timestamps are Asia/Shanghai; all instants are kept as Shanghai wall time (fixed +08:00),
--    output columns *_at are local timestamps.
--  * Normalization is done once per DISTINCT raw text (then joined back), with simple rules:
--    price: the FIRST number of price_text with an optional ¥/$/usd/usdt/rmb/cny/btc prefix, money word (元/块/毛/角/分,
--      u/usdt, $/usd, btc, rmb/cny) and per-unit (百/千/k/万/w, optionally with a count like 1k or 'per 1000');
--      Chinese digits 一..九/两 are replaced by digits first; ranges are NOT averaged (first number wins);
--      no 起/minimum-order logic beyond "first number wins". Structured price_amount/price_per_records
--      win when present. CNY via seeds/reference/exchange_rates_monthly.csv at the fetch's local month.
--    quantity: first number times 百/千/k/万/w.  amounts (records, money): same, with 亿, commas removed.
--    location/province: the region_aliases seed alias found EARLIEST in the lower-cased text (ties: longer
--      alias, then non-city); no match -> unknown. city_code: earliest city alias that is not also a
--      province-level alias. No English word-boundary logic, no "several provinces -> multi" inference
--      beyond the seed's multi aliases.
--    carriers: every carrier_aliases seed alias contained in the text, codes sorted and joined with '|'
--      (ALL if 全网-type alias matched, UNKNOWN if none). An incident's carrier: the earliest alias.
--    freshness: three keyword regexes.  agency / leak stage: the seed alias with the lowest priority,
--      then earliest position (no alias: OTHER / unknown; empty: UNKNOWN / unknown).
--    dates: one regex yyyy?m?d[ hh:mm] (no Excel serials, no two-digit years).
--  * Latest version of an incident/case: greatest updated_at, then file name (not modification time).
--  * Copies of one (listing, fetch instant) (overlapping crawlers, re-delivered files): the copy from the file
--    whose path sorts last (day folder, then file name) is kept.
--  * A listing's region/channel/seller for the marts is the listing-level one (latest observation that
--    carries it), not re-derived per period. Active = observed in a live fetch in the period.
--  * mart rows exist for the (period, region, channel) combinations that have a listing event.

SET TimeZone = 'Asia/Shanghai';

-- ---------------------------------------------------------------- reference seeds
CREATE TABLE sites AS
SELECT site, arg_max(channel, prio) AS channel
FROM (
    SELECT lower(trim(site)) AS site, lower(trim(channel)) AS channel,
           list_position({sites_files}, filename) AS prio
    FROM read_csv({sites_files}, all_varchar = true, filename = true, union_by_name = true)
)
GROUP BY site;

CREATE TABLE fx AS
SELECT CAST(month_start AS DATE) AS month_start, upper(currency) AS currency, CAST(cny_per_unit AS DOUBLE) AS rate
FROM read_csv('{seeds}/reference/exchange_rates_monthly.csv', all_varchar = true);

CREATE TABLE provinces AS
SELECT region_code, name_zh, CAST(population_2020 AS BIGINT) AS population,
       lower(is_mainland) = 'true' AS is_mainland
FROM read_csv('{seeds}/reference/provinces.csv', all_varchar = true);

CREATE TABLE region_alias AS
WITH a AS (
    SELECT lower(alias) AS alias, match_type, region_code, nullif(city_code, '') AS city_code,
           alias_kind LIKE 'city%' AS is_city
    FROM read_csv('{seeds}/reference/region_aliases.csv', all_varchar = true)
)
SELECT *, alias NOT IN (SELECT alias FROM a WHERE NOT is_city) AS alias_is_city_only FROM a;

CREATE TABLE carrier_alias AS
SELECT lower(alias) AS alias, carrier_code FROM read_csv('{seeds}/reference/carrier_aliases.csv', all_varchar = true);

CREATE TABLE agency_alias AS
SELECT lower(alias) AS alias, agency_code, CAST(priority AS INTEGER) AS priority
FROM read_csv('{seeds}/reference/agency_aliases.csv', all_varchar = true);

CREATE TABLE stage_alias AS
SELECT lower(alias) AS alias, leak_stage, CAST(priority AS INTEGER) AS priority
FROM read_csv('{seeds}/reference/leak_stage_terms.csv', all_varchar = true);

-- location text -> (region_code, city_code); used for crawl location_text and incident/case province
CREATE MACRO norm_locations(texts) AS TABLE
WITH t AS (SELECT DISTINCT x AS txt, lower(trim(x)) AS s FROM query_table(texts) WHERE nullif(trim(x), '') IS NOT NULL),
hits AS (
    SELECT t.txt, a.region_code, a.city_code, a.is_city, a.alias_is_city_only, strpos(t.s, a.alias) AS pos, length(a.alias) AS len
    FROM t JOIN region_alias a
      ON (a.match_type = 'exact' AND t.s = a.alias) OR (a.match_type <> 'exact' AND strpos(t.s, a.alias) > 0)
),
region AS (SELECT txt, arg_min(region_code, (pos, -len, is_city)) AS region_code FROM hits GROUP BY txt),
city AS (
    SELECT txt, arg_min(city_code, (pos, -len)) AS city_code FROM hits
    WHERE is_city AND alias_is_city_only GROUP BY txt
)
SELECT t.txt, coalesce(region.region_code, 'unknown') AS region_code, city.city_code
FROM t LEFT JOIN region USING (txt) LEFT JOIN city USING (txt);

-- ---------------------------------------------------------------- crawl
-- listing url without fragment -> lower-case scheme and host, no utm_* parameters, no trailing / ? &
CREATE MACRO norm_url(u) AS
    rtrim(regexp_replace(regexp_replace(regexp_replace(
        lower(regexp_extract(u, '^[^/]*//[^/?#]*')) || regexp_replace(u, '^[^/]*//[^/?#]*', ''),
        '([?&])utm_[^&#]*', '\1', 'g'), '\?&+', '?', 'g'), '&&+', '&', 'g'), '?&/');

CREATE TABLE crawl_raw AS
WITH src AS (
    SELECT run_id, fetched_at, site, listing_id, url, seller, price_text, price_amount, price_currency,
           price_per_records, quantity_text, location_text, carrier_text, freshness_text, sample_records,
           status, http_status, filename
    FROM read_json('{raw}/crawl/*/*.jsonl*', format = 'newline_delimited', ignore_errors = true, filename = true,
        columns = {run_id: 'VARCHAR', fetched_at: 'VARCHAR', site: 'VARCHAR', listing_id: 'VARCHAR',
                   url: 'VARCHAR', seller: 'VARCHAR', price_text: 'VARCHAR', price_amount: 'DOUBLE',
                   price_currency: 'VARCHAR', price_per_records: 'DOUBLE', quantity_text: 'VARCHAR',
                   location_text: 'VARCHAR', carrier_text: 'VARCHAR', freshness_text: 'VARCHAR',
                   sample_records: 'VARCHAR[]', status: 'VARCHAR', http_status: 'INTEGER'})
    UNION ALL BY NAME
    SELECT run_id, CAST(fetched_at AS VARCHAR) AS fetched_at, site, CAST(listing_id AS VARCHAR) AS listing_id,
           url, seller, price_text, CAST(price_amount AS DOUBLE) AS price_amount, price_currency,
           CAST(price_per_records AS DOUBLE) AS price_per_records, quantity_text, location_text, carrier_text,
           freshness_text, sample_records, status, CAST(http_status AS INTEGER) AS http_status, filename
    FROM read_parquet('{raw}/crawl/*/*.parquet', union_by_name = true, filename = true)
),
typed AS (
    SELECT lower(trim(site)) AS site,
           CAST(try_cast(fetched_at AS TIMESTAMPTZ) AS TIMESTAMP) AS ts,
           nullif(trim(listing_id), '') AS listing_id,
           url, seller, price_text, price_amount, price_currency, price_per_records, quantity_text,
           location_text, carrier_text, freshness_text, sample_records, filename,
           coalesce(lower(trim(status)) = 'removed', false) OR coalesce(http_status IN (404, 410), false) AS is_removal
    FROM src
    WHERE nullif(trim(run_id), '') IS NOT NULL AND nullif(trim(site), '') IS NOT NULL
      AND nullif(trim(url), '') IS NOT NULL
)
SELECT site || '|' || coalesce(listing_id, norm_url(regexp_replace(trim(url), '#.*$', ''))) AS lkey,
       * EXCLUDE (listing_id, url)
FROM typed
WHERE ts IS NOT NULL;

-- normalization lookups, one row per distinct raw text
CREATE TABLE price_lookup AS
WITH t AS (SELECT DISTINCT price_text AS txt FROM crawl_raw WHERE price_text IS NOT NULL),
g AS (
    SELECT txt, regexp_extract(translate(lower(trim(txt)), '一二三四五六七八九两', '1234567892'),
        '(?P<cur>[¥￥$]|usdt|usd|rmb|cny|btc)?\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<money>usdt|usd|u|btc|rmb|cny|元|块|毛|角|分|\$)?\s*(?:/|每|\s*per\s+)?(?P<cnt>[0-9]*)(?P<mult>百|千|k|万|w)?',
        ['cur', 'num', 'money', 'cnt', 'mult']) AS g
    FROM t
)
SELECT txt,
       try_cast(g.num AS DOUBLE)
         * CASE g.money WHEN '毛' THEN 0.1 WHEN '角' THEN 0.1 WHEN '分' THEN 0.01 ELSE 1 END
         / (coalesce(try_cast(nullif(g.cnt, '') AS DOUBLE), 1)
            * CASE g.mult WHEN '百' THEN 100 WHEN '千' THEN 1000 WHEN 'k' THEN 1000
                          WHEN '万' THEN 10000 WHEN 'w' THEN 10000 ELSE 1 END) AS amount,
       CASE WHEN g.money IN ('u', 'usdt') OR (g.money = '' AND g.cur = 'usdt') THEN 'USDT'
            WHEN g.money IN ('usd', '$') OR (g.money = '' AND g.cur IN ('usd', '$')) THEN 'USD'
            WHEN g.money = 'btc' OR (g.money = '' AND g.cur = 'btc') THEN 'BTC' ELSE 'CNY' END AS currency
FROM g;

CREATE TABLE quantity_lookup AS
WITH t AS (SELECT DISTINCT quantity_text AS txt FROM crawl_raw WHERE quantity_text IS NOT NULL),
g AS (
    SELECT txt, regexp_extract(translate(lower(trim(txt)), '一二三四五六七八九两', '1234567892'),
        '(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<mult>百|千|k|万|w)?', ['num', 'mult']) AS g
    FROM t
)
SELECT txt, CAST(round(try_cast(g.num AS DOUBLE)
                   * CASE g.mult WHEN '百' THEN 100 WHEN '千' THEN 1000 WHEN 'k' THEN 1000
                                 WHEN '万' THEN 10000 WHEN 'w' THEN 10000 ELSE 1 END) AS BIGINT) AS qty
FROM g;

CREATE TABLE location_texts AS SELECT DISTINCT location_text AS x FROM crawl_raw;
CREATE TABLE location_lookup AS SELECT * FROM norm_locations('location_texts');

CREATE TABLE carrier_lookup AS
WITH t AS (SELECT DISTINCT carrier_text AS txt FROM crawl_raw WHERE nullif(trim(carrier_text), '') IS NOT NULL),
hits AS (SELECT DISTINCT t.txt, a.carrier_code FROM t JOIN carrier_alias a ON strpos(lower(t.txt), a.alias) > 0)
SELECT t.txt,
       CASE WHEN list_contains(codes, 'ALL') THEN 'ALL'
            WHEN codes IS NULL THEN 'UNKNOWN'
            ELSE array_to_string(list_sort(codes), '|') END AS carrier_codes
FROM t LEFT JOIN (SELECT txt, list(carrier_code) AS codes FROM hits GROUP BY txt) USING (txt);

CREATE TABLE freshness_lookup AS
SELECT txt,
       CASE WHEN regexp_matches(s, '当天|当日|今天|今日|实时|24小时|24h|realtime') THEN 'realtime'
            WHEN regexp_matches(s, '[0-9一二三四五六七]天|一周|1周|近期|本周|最近|recent') THEN 'recent'
            WHEN regexp_matches(s, '历史|老单|旧|半年|月前|年前|historical') THEN 'historical'
            ELSE 'unknown' END AS freshness
FROM (SELECT DISTINCT freshness_text AS txt, lower(trim(freshness_text)) AS s FROM crawl_raw
      WHERE nullif(trim(freshness_text), '') IS NOT NULL);

-- observations: narrow, normalized, one per (listing, fetch instant); of several copies (overlapping crawlers,
-- a re-delivered file) the one from the file that sorts last (day folder, then file name) is kept
-- DuckDB would store a subplan read twice (every row) in its temp directory: keep it inlined
SET disabled_optimizers = 'common_subplan';
CREATE TABLE obs AS
WITH j AS (
    SELECT c.lkey, c.site, c.ts, c.filename, CAST(c.ts AS DATE) AS d, CAST(date_trunc('month', c.ts) AS DATE) AS m,
           NOT c.is_removal AS live,
           coalesce(len(c.sample_records), 0) AS sample_n,
           coalesce(regexp_matches(array_to_string(c.sample_records, ' '),
               '1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}|[0-9]{17}[0-9Xx]|(?:SF|YT|JT)[0-9]{12,13}|7[3-8][0-9]{10,13}|[A-Z]{2}[0-9]{9}CN'),
               false) AS unmasked,
           CASE WHEN c.price_amount IS NOT NULL
                THEN CASE WHEN c.price_amount > 0 AND coalesce(c.price_per_records, 1) > 0
                          THEN c.price_amount / coalesce(c.price_per_records, 1) END
                ELSE p.amount END AS amount,
           CASE WHEN c.price_amount IS NOT NULL THEN coalesce(upper(trim(c.price_currency)), 'CNY')
                ELSE p.currency END AS currency,
           q.qty, l.region_code, l.city_code, k.carrier_codes, f.freshness,
           nullif(lower(trim(c.seller)), '') AS seller
    FROM crawl_raw c
    LEFT JOIN price_lookup p ON p.txt = c.price_text
    LEFT JOIN quantity_lookup q ON q.txt = c.quantity_text
    LEFT JOIN location_lookup l ON l.txt = c.location_text
    LEFT JOIN carrier_lookup k ON k.txt = c.carrier_text
    LEFT JOIN freshness_lookup f ON f.txt = c.freshness_text
)
,
-- Keys fetched more than once (by a 64-bit hash of the key; a collision only sends a few single
-- rows through the DISTINCT ON below, which keeps them). A DISTINCT ON over every row sorts the
-- whole table: at 100M rows it spilled more than 60 GB to disk, even with a 12GB memory limit.
repeated AS (
    SELECT hash(lkey, ts) AS h FROM crawl_raw GROUP BY ALL HAVING count(*) > 1
),
-- read twice below: NOT MATERIALIZED, or DuckDB writes every row of it to its temp directory first
priced AS NOT MATERIALIZED (
    SELECT j.* EXCLUDE (amount, currency), CASE WHEN j.amount > 0 THEN j.amount * fx.rate END AS price
    FROM j LEFT JOIN fx ON fx.month_start = j.m AND fx.currency = j.currency
)
SELECT priced.* EXCLUDE (filename) FROM priced ANTI JOIN repeated ON hash(priced.lkey, priced.ts) = repeated.h
UNION ALL
SELECT * EXCLUDE (filename) FROM (
    SELECT DISTINCT ON (priced.lkey, priced.ts) priced.*
    FROM priced SEMI JOIN repeated ON hash(priced.lkey, priced.ts) = repeated.h
    ORDER BY priced.lkey, priced.ts, priced.filename DESC
);
RESET disabled_optimizers;

DROP TABLE crawl_raw;

-- ---------------------------------------------------------------- listings
CREATE TABLE site_days AS
SELECT site, d, min(ts) AS first_ts, count(*) AS observations, count(DISTINCT lkey) AS listings_seen,
       row_number() OVER (PARTITION BY site ORDER BY d) AS rn
FROM obs GROUP BY site, d;

CREATE TABLE listings AS
WITH agg AS (
    SELECT lkey, any_value(site) AS site, count(*) AS observation_count,
           min(ts) AS first_seen_at, max(ts) FILTER (WHERE live) AS last_seen_at,
           min(ts) FILTER (WHERE NOT live) AS explicit_removed_at, max(d) AS last_day,
           arg_max(price, ts) AS unit_price_cny,
           arg_max(qty, ts) AS records_offered,
           arg_max(region_code, ts) AS region_code,
           arg_max_null(city_code, ts) FILTER (WHERE region_code IS NOT NULL) AS city_code,
           arg_max(carrier_codes, ts) AS carrier_codes,
           arg_max(freshness, ts) AS freshness,
           arg_max(seller, ts) AS seller,
           max(sample_n) AS sample_record_count, bool_or(unmasked) AS has_unmasked_samples
    FROM obs GROUP BY lkey
),
inferred AS (
    SELECT a.lkey, nxt.first_ts AS inferred_at
    FROM agg a
    JOIN site_days cur ON cur.site = a.site AND cur.d = a.last_day
    JOIN site_days nxt ON nxt.site = a.site AND nxt.rn = cur.rn + 1
    JOIN site_days third ON third.site = a.site AND third.rn = cur.rn + 3
    WHERE a.explicit_removed_at IS NULL
)
SELECT a.*, coalesce(s.channel, 'unknown') AS channel,
       coalesce(a.explicit_removed_at, i.inferred_at) AS removed_at,
       a.explicit_removed_at IS NULL AND i.inferred_at IS NOT NULL AS is_removal_inferred,
       a.unit_price_cny IS NOT NULL AND NOT a.unit_price_cny BETWEEN 0.001 AND 50 AS is_price_outlier
FROM agg a LEFT JOIN inferred i USING (lkey) LEFT JOIN sites s ON s.site = a.site;

CREATE TABLE fct_listings AS
SELECT '4' || substr(md5(lkey), 1, 15) AS listing_key, site, channel, md5(seller) AS seller_key, region_code, city_code, carrier_codes,
       freshness, unit_price_cny, is_price_outlier, records_offered, first_seen_at, last_seen_at, removed_at,
       is_removal_inferred, observation_count, sample_record_count, has_unmasked_samples
FROM listings;

-- listing x month, then listing x quarter (last non-outlier live price and last live quantity per period)
CREATE TABLE listing_months AS
SELECT lkey, m AS period, bool_or(live) AS active,
       arg_max(price, ts) FILTER (WHERE live AND price BETWEEN 0.001 AND 50) AS price,
       max(ts) FILTER (WHERE live AND price BETWEEN 0.001 AND 50) AS price_ts,
       arg_max(qty, ts) FILTER (WHERE live) AS qty,
       max(ts) FILTER (WHERE live AND qty IS NOT NULL) AS qty_ts
FROM obs GROUP BY lkey, m;

CREATE TABLE listing_quarters AS
SELECT lkey, CAST(date_trunc('quarter', period) AS DATE) AS period, bool_or(active) AS active,
       arg_max(price, price_ts) AS price, max(price_ts) AS price_ts,
       arg_max(qty, qty_ts) AS qty, max(qty_ts) AS qty_ts
FROM listing_months GROUP BY ALL;

CREATE TABLE coverage_daily AS
WITH span AS (SELECT site, min(d) AS d0, max(d) AS d1 FROM site_days GROUP BY site),
grid AS (SELECT site, CAST(unnest(generate_series(d0, d1, INTERVAL 1 DAY)) AS DATE) AS crawl_date FROM span)
SELECT g.site, coalesce(s.channel, 'unknown') AS channel, g.crawl_date, sd.d IS NOT NULL AS is_crawled,
       coalesce(sd.observations, 0) AS observations, coalesce(sd.listings_seen, 0) AS listings_seen
FROM grid g LEFT JOIN site_days sd ON sd.site = g.site AND sd.d = g.crawl_date
LEFT JOIN sites s ON s.site = g.site;

CREATE MACRO market(lp, grain) AS TABLE
WITH events AS (
    SELECT coalesce(x.lkey, l.lkey) AS lkey, coalesce(x.period, l.removed_period) AS period,
           coalesce(x.active, false) AS active, x.price, x.qty
    FROM query_table(lp) x
    FULL JOIN (SELECT lkey, CAST(date_trunc(grain, removed_at) AS DATE) AS removed_period
               FROM listings WHERE removed_at IS NOT NULL) l
      ON l.lkey = x.lkey AND l.removed_period = x.period
),
flagged AS (
    SELECT e.*, coalesce(l.region_code, 'unknown') AS region_code, l.channel, l.seller,
           e.period = CAST(date_trunc(grain, l.first_seen_at) AS DATE) AS is_new,
           coalesce(e.period = CAST(date_trunc(grain, l.removed_at) AS DATE), false) AS is_removed
    FROM events e JOIN listings l USING (lkey)
),
agg AS (
    SELECT period, coalesce(region_code, 'all') AS region_code, coalesce(channel, 'all') AS channel,
           count(*) FILTER (WHERE active) AS listings_active,
           count(*) FILTER (WHERE is_new) AS listings_new,
           count(*) FILTER (WHERE is_removed) AS listings_removed,
           count(DISTINCT seller) FILTER (WHERE active) AS sellers_active,
           coalesce(sum(coalesce(qty, 0)) FILTER (WHERE active), 0) AS records_offered,
           count(price) FILTER (WHERE active) AS priced_listings,
           quantile_cont(price, 0.25) FILTER (WHERE active) AS price_p25_cny,
           quantile_cont(price, 0.5) FILTER (WHERE active) AS price_median_cny,
           quantile_cont(price, 0.75) FILTER (WHERE active) AS price_p75_cny
    FROM flagged
    GROUP BY GROUPING SETS ((period, region_code, channel), (period, region_code), (period, channel), (period))
),
cov AS (
    SELECT CAST(date_trunc(grain, crawl_date) AS DATE) AS period, coalesce(channel, 'all') AS channel,
           avg(CAST(is_crawled AS DOUBLE)) AS coverage_ratio
    FROM coverage_daily GROUP BY GROUPING SETS ((CAST(date_trunc(grain, crawl_date) AS DATE), channel),
                           (CAST(date_trunc(grain, crawl_date) AS DATE)))
)
SELECT agg.*, cov.coverage_ratio, coalesce(cov.coverage_ratio < 0.8, false) AS is_low_coverage
FROM agg LEFT JOIN cov USING (period, channel);

CREATE TABLE mart_market_monthly AS
SELECT period AS month_start, * EXCLUDE (period) FROM market('listing_months', 'month');

CREATE MACRO pct(cur, prev) AS round(100.0 * (cur / prev - 1), 4);

CREATE TABLE mart_market_quarterly AS
WITH q AS (SELECT * FROM market('listing_quarters', 'quarter'))
SELECT strftime(q.period, '%Y') || 'Q' || quarter(q.period) AS quarter, q.period AS quarter_start,
       q.* EXCLUDE (period),
       CASE WHEN q.listings_active >= 30 AND p.listings_active >= 30 AND NOT q.is_low_coverage
                 AND NOT p.is_low_coverage THEN pct(q.listings_active, p.listings_active) END AS listings_active_qoq_pct,
       CASE WHEN q.listings_active >= 30 AND y.listings_active >= 30 AND NOT q.is_low_coverage
                 AND NOT y.is_low_coverage THEN pct(q.listings_active, y.listings_active) END AS listings_active_yoy_pct,
       CASE WHEN q.priced_listings >= 30 AND p.priced_listings >= 30 AND NOT q.is_low_coverage
                 AND NOT p.is_low_coverage THEN pct(q.price_median_cny, p.price_median_cny) END AS price_median_qoq_pct,
       CASE WHEN q.priced_listings >= 30 AND y.priced_listings >= 30 AND NOT q.is_low_coverage
                 AND NOT y.is_low_coverage THEN pct(q.price_median_cny, y.price_median_cny) END AS price_median_yoy_pct
FROM q
LEFT JOIN q p ON p.region_code = q.region_code AND p.channel = q.channel AND p.period = q.period - INTERVAL 3 MONTH
LEFT JOIN q y ON y.region_code = q.region_code AND y.channel = q.channel AND y.period = q.period - INTERVAL 12 MONTH;

CREATE TABLE mart_price_index_quarterly AS
WITH q AS (SELECT * FROM mart_market_quarterly WHERE region_code = 'all'),
base AS (SELECT min(quarter_start) AS base_start FROM q WHERE priced_listings > 0)
SELECT q.quarter, q.quarter_start, q.channel, q.priced_listings, q.price_median_cny,
       round(100.0 * q.price_median_cny / b.price_median_cny, 4) AS price_index,
       CASE WHEN q.priced_listings >= 30 AND p.priced_listings >= 30 AND NOT q.is_low_coverage
                 AND NOT p.is_low_coverage THEN pct(q.price_median_cny, p.price_median_cny) END AS qoq_pct,
       CASE WHEN q.priced_listings >= 30 AND y.priced_listings >= 30 AND NOT q.is_low_coverage
                 AND NOT y.is_low_coverage THEN pct(q.price_median_cny, y.price_median_cny) END AS yoy_pct
FROM q
LEFT JOIN q b ON b.channel = q.channel AND b.quarter_start = (SELECT base_start FROM base)
LEFT JOIN q p ON p.channel = q.channel AND p.quarter_start = q.quarter_start - INTERVAL 3 MONTH
LEFT JOIN q y ON y.channel = q.channel AND y.quarter_start = q.quarter_start - INTERVAL 12 MONTH;

CREATE TABLE mart_crawl_coverage_daily AS SELECT * FROM coverage_daily;

-- ---------------------------------------------------------------- incidents and cases
CREATE MACRO ts_from_groups(g) AS
    try_strptime(g.y || '-' || g.m || '-' || g.d || ' ' || coalesce(nullif(g.hh, ''), '0') || ':'
                 || coalesce(nullif(g.mi, ''), '0'), '%Y-%m-%d %H:%M');
CREATE MACRO parse_date(s) AS ts_from_groups(regexp_extract(s,
    '(?P<y>[0-9]{4})[^0-9]?(?P<m>[0-9]{1,2})[^0-9]?(?P<d>[0-9]{1,2})(?:[^0-9]+(?P<hh>[0-9]{1,2}):(?P<mi>[0-9]{2}))?',
    ['y', 'm', 'd', 'hh', 'mi']));

CREATE MACRO amount_from_groups(g) AS
    try_cast(g.num AS DOUBLE) * CASE g.mult WHEN '亿' THEN 100000000 WHEN '万' THEN 10000 WHEN 'w' THEN 10000
                                            WHEN '千' THEN 1000 WHEN 'k' THEN 1000 ELSE 1 END;
CREATE MACRO parse_amount(s) AS amount_from_groups(regexp_extract(replace(replace(lower(s), ',', ''), '，', ''),
    '(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<mult>亿|万|千|k|w)?', ['num', 'mult']));

CREATE TABLE incidents_raw AS
SELECT * FROM read_csv({incident_files}, all_varchar = true, union_by_name = true, filename = true, header = true)
WHERE nullif(trim(incident_id), '') IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY trim(incident_id)
                           ORDER BY parse_date(updated_at) DESC NULLS LAST, filename DESC) = 1;

CREATE TABLE cases_raw AS
WITH r AS (SELECT * FROM read_csv({case_files}, all_varchar = true, union_by_name = true, filename = true, header = true))
SELECT * FROM r
WHERE nullif(trim(case_id), '') IS NOT NULL
  AND filename NOT IN (SELECT filename FROM r GROUP BY filename HAVING count(agency) = 0)
QUALIFY row_number() OVER (PARTITION BY trim(case_id)
                           ORDER BY parse_date(updated_at) DESC NULLS LAST, filename DESC) = 1;

CREATE TABLE province_texts AS SELECT province AS x FROM incidents_raw UNION SELECT province FROM cases_raw;
CREATE TABLE province_lookup AS SELECT * FROM norm_locations('province_texts');

CREATE TABLE fct_incidents AS
WITH carrier AS (
    SELECT txt, arg_min(carrier_code, (strpos(s, alias), -length(alias), carrier_code)) AS carrier_code
    FROM (SELECT DISTINCT carrier AS txt, lower(trim(carrier)) AS s FROM incidents_raw) t
    JOIN carrier_alias a ON strpos(t.s, a.alias) > 0 GROUP BY txt
),
stage AS (
    SELECT txt, arg_min(leak_stage, (priority, strpos(s, alias), -length(alias))) AS leak_stage
    FROM (SELECT DISTINCT leak_stage AS txt, lower(trim(leak_stage)) AS s FROM incidents_raw) t
    JOIN stage_alias a ON strpos(t.s, a.alias) > 0 GROUP BY txt
)
SELECT trim(i.incident_id) AS incident_id, CAST(parse_date(i.reported_at) AS DATE) AS reported_date,
       nullif(trim(i.source), '') AS source, coalesce(p.region_code, 'unknown') AS region_code,
       coalesce(c.carrier_code, 'UNKNOWN') AS carrier_code, coalesce(s.leak_stage, 'unknown') AS leak_stage,
       parse_amount(i.records_affected) AS records_affected, lower(trim(i.status)) AS status
FROM incidents_raw i
LEFT JOIN province_lookup p ON p.txt = i.province
LEFT JOIN carrier c ON c.txt = i.carrier
LEFT JOIN stage s ON s.txt = i.leak_stage
WHERE parse_date(i.reported_at) IS NOT NULL;

CREATE TABLE fct_cases AS
WITH agency AS (
    SELECT txt, arg_min(agency_code, (priority, strpos(s, alias), -length(alias))) AS agency_code
    FROM (SELECT DISTINCT agency AS txt, lower(trim(agency)) AS s FROM cases_raw) t
    JOIN agency_alias a ON strpos(t.s, a.alias) > 0 GROUP BY txt
)
SELECT trim(k.case_id) AS case_id,
       CASE WHEN nullif(trim(k.agency), '') IS NULL THEN 'UNKNOWN' ELSE coalesce(a.agency_code, 'OTHER') END AS agency_code,
       coalesce(p.region_code, 'unknown') AS region_code,
       CAST(parse_date(k.opened_on) AS DATE) AS opened_date, CAST(parse_date(k.closed_on) AS DATE) AS closed_date,
       nullif(lower(trim(k.case_type)), '') AS case_type, try_cast(trim(k.suspects) AS INTEGER) AS suspects,
       parse_amount(k.records_involved) AS records_involved, parse_amount(k.illegal_gain_cny) AS illegal_gain_cny,
       parse_amount(k.fine_cny) AS fine_cny,
       len(list_distinct(list_filter(list_transform(string_split(coalesce(k.sites_shut, ''), ';'),
                                                    lambda x: lower(trim(x))), lambda x: x <> ''))) AS sites_shut_count,
       nullif(lower(trim(k.outcome)), '') AS outcome
FROM cases_raw k
LEFT JOIN province_lookup p ON p.txt = k.province
LEFT JOIN agency a ON a.txt = k.agency
WHERE parse_date(k.opened_on) IS NOT NULL;

CREATE MACRO quarter_label(d) AS strftime(d, '%Y') || 'Q' || quarter(d);

CREATE TABLE mart_enforcement_quarterly AS
WITH opened AS (
    SELECT CAST(date_trunc('quarter', opened_date) AS DATE) AS quarter_start, region_code, agency_code,
           count(*) AS cases_opened, sum(suspects) AS suspects, sum(records_involved) AS records_involved,
           sum(illegal_gain_cny) AS illegal_gain_cny, sum(fine_cny) AS fines_cny, sum(sites_shut_count) AS sites_shut
    FROM fct_cases GROUP BY ALL
),
closed AS (
    SELECT CAST(date_trunc('quarter', closed_date) AS DATE) AS quarter_start, region_code, agency_code,
           count(*) AS cases_closed
    FROM fct_cases WHERE closed_date IS NOT NULL GROUP BY ALL
)
SELECT quarter_label(quarter_start) AS quarter, quarter_start, region_code, agency_code,
       coalesce(cases_opened, 0) AS cases_opened, coalesce(cases_closed, 0) AS cases_closed,
       coalesce(suspects, 0) AS suspects, coalesce(records_involved, 0) AS records_involved,
       coalesce(illegal_gain_cny, 0) AS illegal_gain_cny, coalesce(fines_cny, 0) AS fines_cny,
       coalesce(sites_shut, 0) AS sites_shut
FROM opened FULL JOIN closed USING (quarter_start, region_code, agency_code);

CREATE TABLE mart_incidents_quarterly AS
SELECT quarter_label(date_trunc('quarter', reported_date)) AS quarter,
       CAST(date_trunc('quarter', reported_date) AS DATE) AS quarter_start,
       region_code, carrier_code, leak_stage, count(*) AS incidents,
       coalesce(sum(records_affected), 0) AS records_affected
FROM fct_incidents WHERE status IS DISTINCT FROM 'unfounded'
GROUP BY ALL;

CREATE TABLE mart_region_quarterly AS
WITH quarters AS (SELECT DISTINCT quarter, quarter_start FROM mart_market_quarterly),
listing AS (SELECT quarter, region_code, listings_active, price_median_cny FROM mart_market_quarterly
            WHERE channel = 'all'),
cases AS (SELECT quarter, region_code, sum(cases_opened) AS cases_opened FROM mart_enforcement_quarterly GROUP BY ALL),
inc AS (SELECT quarter, region_code, sum(incidents) AS incidents FROM mart_incidents_quarterly GROUP BY ALL),
grid AS (
    SELECT q.quarter, q.quarter_start, p.region_code, p.name_zh, p.population, p.is_mainland,
           coalesce(l.listings_active, 0) AS listings_active, l.price_median_cny,
           coalesce(c.cases_opened, 0) AS cases_opened, coalesce(i.incidents, 0) AS incidents
    FROM quarters q CROSS JOIN provinces p
    LEFT JOIN listing l ON l.quarter = q.quarter AND l.region_code = p.region_code
    LEFT JOIN cases c ON c.quarter = q.quarter AND c.region_code = p.region_code
    LEFT JOIN inc i ON i.quarter = q.quarter AND i.region_code = p.region_code
)
SELECT quarter, quarter_start, region_code, name_zh AS province, listings_active,
       round(listings_active * 1e7 / population, 4) AS listings_per_10m_population,
       cases_opened, incidents, price_median_cny
FROM grid
WHERE is_mainland OR region_code IN (
    SELECT region_code FROM grid GROUP BY region_code
    HAVING sum(listings_active) + sum(cases_opened) + sum(incidents) > 0);
