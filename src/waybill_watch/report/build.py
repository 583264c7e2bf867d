"""The quarterly trend report: analyst database → tables → charts → HTML, PDF and CSVs."""

from __future__ import annotations

import datetime as dt
import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text

from waybill_watch.errors import WaybillWatchError
from waybill_watch.report import charts
from waybill_watch.report.content import ReportContent
from waybill_watch.report.data import STAGE_LABELS, AnalystDB
from waybill_watch.report.quarters import Quarter
from waybill_watch.report.render import Figure, RenderContext, Section, generated_at, render_html, write_pdf
from waybill_watch.report.suppression import SUPPRESSED_MARK
from waybill_watch.report.tables import Table, format_value, write_manifest

DB_SOURCE = "waybill-watch analyst database"


@dataclass
class ReportPaths:
    html: Path
    pdf: Path
    csv_dir: Path
    csv_files: list[Path] = field(default_factory=list)
    public: bool = False
    suppressed_cells: int = 0

    def __rich__(self) -> Text:
        # the CLI prints with rich, which would otherwise pretty-print the dataclass fields
        return Text(str(self))

    def __str__(self) -> str:
        mode = f"public, {self.suppressed_cells} counts suppressed" if self.public else "internal"
        return (
            f"report ({mode}):\n  HTML {self.html}\n  PDF  {self.pdf}\n"
            f"  CSV  {self.csv_dir} ({len(self.csv_files)} tables + manifest.json)"
        )


def build_report(
    quarter: str, warehouse_dir: Path, out_dir: Path, public: bool = False, min_count: int = 10
) -> ReportPaths:
    """Write OUT/waybill-watch-<quarter>.html, .pdf and OUT/csv/*.csv from WAREHOUSE/analyst.duckdb."""
    q = Quarter.parse(quarter)
    if min_count < 1:
        raise WaybillWatchError(f"--min-count must be at least 1, got {min_count}")
    db = AnalystDB(Path(warehouse_dir))
    try:
        db.require_quarter(q)
        content = ReportContent(db, q, public=public, min_count=min_count)
        content.build()
        span = content.data_span()
        events = db.policy_events()
    finally:
        db.close()

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_dir = out_dir / "csv"
    if csv_dir.exists():
        shutil.rmtree(csv_dir)  # stale CSVs of an earlier run (e.g. internal mode) must not linger
    csv_dir.mkdir()
    tables = list(content.tables.values())
    csv_files = [t.write_csv(csv_dir, content.disc) for t in tables]
    write_manifest(tables, csv_dir, public, min_count)

    context = RenderContext(content.disc, str(q), public)
    sections = _sections(content, events, Path(warehouse_dir), min_count)
    html_text = render_html(_title_page(content, span, public, min_count), sections, context)
    stem = f"waybill-watch-{q}"
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    html_path.write_text(html_text, encoding="utf-8")
    write_pdf(html_text, pdf_path, out_dir)
    return ReportPaths(html_path, pdf_path, csv_dir, csv_files, public, len(content.disc.suppressed))


# ---- sections ------------------------------------------------------------------------------------


def _published(table: Table, content: ReportContent, column: str, row: int) -> Any:
    col = next(c for c in table.columns if c.key == column)
    return table.published_value(row, col, content.disc)


def _mid_quarter(quarter: str) -> str:
    """Quarterly points sit mid-quarter, so a dated event falls inside the quarter it belongs to."""
    return (Quarter.parse(quarter).start + dt.timedelta(days=45)).isoformat()


def _sections(content: ReportContent, events, warehouse_dir: Path, min_count: int) -> list[Section]:
    return [
        _headline_section(content),
        _channel_section(content),
        _province_section(content),
        _price_section(content, events),
        _carrier_section(content),
        _enforcement_section(content),
        _incident_section(content),
        _movers_section(content),
        _quality_section(content, warehouse_dir, min_count),
        _methodology_section(content),
    ]


def _headline_section(content: ReportContent) -> Section:
    table = content.tables["headline"]
    cols = {c.key: c for c in table.columns}
    cards = []
    for i, row in enumerate(table.rows):
        zh, _, en = row["figure"].partition(" ")
        now = table.display(i, cols["current"], content.disc)
        changes = "".join(
            f"<span class='{_trend_class(table.display(i, cols[key], content.disc))}'>{label} "
            f"{_arrow(table.display(i, cols[key], content.disc))}"
            f"{html.escape(table.display(i, cols[key], content.disc))}</span>"
            for key, label in (("qoq_pct", "环比 q/q"), ("yoy_pct", "同比 y/y"))
        )
        cards.append(
            f"<div class='kpi'><div class='kpi-label'>{html.escape(zh)}<br><small>{html.escape(en)}</small>"
            f"</div><div class='kpi-value'>{html.escape(now)}</div>"
            f"<div class='kpi-change'>{changes}</div></div>"
        )
    intro = (
        f"<p>本季度要点 Key figures for {content.q} ({content.q.label_zh}), compared with the previous "
        f"quarter ({content.q.previous}) and the same quarter a year before ({content.q.year_ago}).</p>"
        f"<div class='kpis'>{''.join(cards)}</div>"
    )
    return Section("headline", "1 主要指标 Headline figures", [intro, table])


def _arrow(shown: str) -> str:
    # direction only, no judgement: more listings is bad news, more cases opened is not
    return "▲ " if shown.startswith("+") else "▼ " if shown.startswith("-") else ""


def _trend_class(shown: str) -> str:
    return "up" if shown.startswith("+") else "down" if shown.startswith("-") else "flat"


def _channel_section(content: ReportContent) -> Section:
    series = content.tables["listings_by_channel_quarterly"]
    records = []
    for i, row in enumerate(series.rows):
        for ch in series.part_columns:
            value = _published(series, content, ch, i)
            if value is not None:
                records.append(
                    {
                        "period": _mid_quarter(row["quarter"]),
                        "series": content.channel_label(ch),
                        "value": value,
                    }
                )
    chart = charts.line_by_series(
        records,
        title="各渠道在售信息 Active listings by channel",
        y_title="在售信息（条）Active listings (count)",
        source=f"{DB_SOURCE}, mart_market_quarterly",
        series_title="渠道 Channel",
    )
    return Section(
        "channels",
        "2 各渠道在售信息 Listings over time by channel",
        [
            "<p>A listing is active in a quarter when it was observed in it with status active or sold out. "
            "Each listing belongs to the channel of its site.</p>",
            Figure(chart, "Line chart of active listings per quarter by channel"),
            content.tables["channels_quarter"],
        ],
    )


def _province_section(content: ReportContent) -> Section:
    table = content.tables["listings_by_province"]
    counts, rates = [], []
    for i, row in enumerate(table.rows):
        if row["region_code"] in ("all", "other"):
            continue
        value = _published(table, content, "listings_active", i)
        if value:
            counts.append({"label": row["province"], "value": value})
        rate = _published(table, content, "listings_per_10m_population", i)
        if rate:
            rates.append({"label": row["province"], "value": rate})
    blocks: list = [
        "<p>Listings by the province of the records on offer, ranked. A map of China's provinces is not "
        "drawn: "
        "the project ships no offline province boundaries whose provenance it can vouch for, and a map "
        "is easy to get politically or cartographically wrong, so the ranking stands in for it.</p>"
    ]
    if counts:
        blocks.append(
            Figure(
                charts.ranked_bars(
                    counts,
                    title=f"各省份在售信息 Active listings by province, {content.q}",
                    x_title="在售信息（条）Active listings (count)",
                    source=f"{DB_SOURCE}, mart_region_quarterly",
                ),
                "Ranked bar chart of active listings by province",
            )
        )
    if rates:
        blocks.append(
            Figure(
                charts.ranked_bars(
                    rates,
                    title=f"每千万人口在售信息 Listings per 10 million people, {content.q}",
                    x_title="每千万人口（条）Listings per 10 million people",
                    x_format=",.1f",
                    color="#d62728",
                    source=f"{DB_SOURCE}, mart_region_quarterly; population: 2020 census",
                ),
                "Ranked bar chart of listings per 10 million population by province",
            )
        )
    blocks.append(table)
    return Section("provinces", "3 各省份 Listings by province", blocks)


def _price_section(content: ReportContent, events) -> Section:
    series = content.tables["price_index_series"]
    records = []
    for i, row in enumerate(series.rows):
        value = _published(series, content, "price_index", i)
        if value is not None:
            records.append(
                {
                    "period": _mid_quarter(row["quarter"]),
                    "series": content.channel_label(row["channel"]),
                    "value": value,
                }
            )
    start = min((Quarter.parse(r["quarter"]).start.isoformat() for r in series.rows), default=None)
    end = content.q.end.isoformat()
    shown = [e for e in events if start and start <= e.date.isoformat() < end]
    chart = charts.line_by_series(
        records,
        title="各渠道单价指数 Unit-price index by channel (base quarter = 100)",
        y_title="指数 Index (base quarter = 100)",
        source=f"{DB_SOURCE}, mart_price_index_quarterly",
        series_title="渠道 Channel",
        y_format=",.0f",
        events=shown,
        emphasize=content.channel_label("all"),
        zero=False,
    )
    if shown:
        items = "".join(
            f"<li>({i}) {e.date.isoformat()} — {html.escape(e.title_zh)} {html.escape(e.title_en)}"
            f"{' (' + html.escape(e.kind) + ')' if e.kind else ''}</li>"
            for i, e in enumerate(shown, start=1)
        )
        event_note = f"<h3>政策事件 Policy events marked on the chart</h3><ul>{items}</ul>"
    else:
        event_note = (
            "<p class='muted'>No policy events are recorded for this period (dim_policy_events / "
            "seeds/reference/policy_events.csv).</p>"
        )
    return Section(
        "prices",
        "4 单价指数 Price index",
        [
            "<p>Median unit price per record in CNY over priced, non-outlier listings, as an index on "
            "the base "
            "quarter. Prices are not averaged: each listing counts once, at its last price in the "
            "quarter.</p>",
            Figure(chart, "Line chart of the unit-price index by channel with policy events"),
            event_note,
            content.tables["price_index_quarter"],
        ],
    )


def _carrier_section(content: ReportContent) -> Section:
    table = content.tables["carriers_in_listings"]
    records = []
    for i, row in enumerate(table.rows):
        value = _published(table, content, "listings", i)
        if value:
            records.append({"label": row["carrier"], "value": value})
    blocks: list = []
    if records:
        blocks.append(
            Figure(
                charts.ranked_bars(
                    records,
                    title=f"信息涉及的快递企业 Carriers named in listings, {content.q}",
                    x_title="在售信息（条）Listings naming the carrier (count)",
                    source=f"{DB_SOURCE}, fct_listings",
                    color="#ff7f0e",
                ),
                "Bar chart of listings by carrier named",
            )
        )
    blocks.append(table)
    return Section("carriers", "5 快递企业 Carriers named in listings", blocks)


def _enforcement_section(content: ReportContent) -> Section:
    trend = content.tables["enforcement_incidents_trend"]
    records = []
    for i, row in enumerate(trend.rows):
        for col, label in (
            ("cases_opened", "立案 Cases opened"),
            ("cases_closed", "结案 Cases closed"),
            ("incidents", "泄露事件 Incidents"),
        ):
            value = _published(trend, content, col, i)
            if value is not None:
                records.append({"quarter": row["quarter"], "series": label, "value": value})
    matrix = content.tables["cases_by_province_agency"]
    col_label = {c.key: c.label for c in matrix.columns}
    stacked = []
    for i, row in enumerate(matrix.rows[:-1]):
        for agency in matrix.part_columns:
            value = _published(matrix, content, agency, i)
            if value:
                stacked.append({"label": row["province"], "series": col_label[agency], "value": value})
    blocks: list = [
        Figure(
            charts.grouped_trend(
                records,
                title="立案、结案与泄露事件 Cases and incidents by quarter",
                y_title="数量 Count",
                source=f"{DB_SOURCE}, mart_enforcement_quarterly, mart_incidents_quarterly",
                series_title="指标 Measure",
            ),
            "Bar chart of cases and incidents per quarter",
        )
    ]
    if stacked:
        blocks.append(
            Figure(
                charts.stacked_bars(
                    stacked,
                    title=f"各省份立案数（按部门）Cases opened by province and agency, {content.q}",
                    x_title="立案（件）Cases opened (count)",
                    source=f"{DB_SOURCE}, mart_enforcement_quarterly",
                    color_title="部门 Agency",
                ),
                "Stacked bar chart of cases by province and agency",
            )
        )
    blocks += [matrix, content.tables["enforcement_by_agency"]]
    return Section("enforcement", "6 执法 Enforcement by agency and province", blocks)


def _incident_section(content: ReportContent) -> Section:
    matrix = content.tables["incidents_by_carrier_stage"]
    records = []
    for i, row in enumerate(matrix.rows[:-1]):
        for stage in matrix.part_columns:
            value = _published(matrix, content, stage, i)
            records.append({"y": row["carrier"], "x": STAGE_LABELS.get(stage, stage), "value": value})
    blocks: list = []
    if records:
        blocks.append(
            Figure(
                charts.heatmap(
                    records,
                    title=f"泄露事件：快递企业 × 泄露环节 Incidents by carrier and leak stage, {content.q}",
                    source=f"{DB_SOURCE}, mart_incidents_quarterly",
                    x_title="泄露环节 Leak stage",
                    y_title="快递企业 Carrier",
                    value_title="事件 Incidents",
                    x_order=[STAGE_LABELS.get(s, s) for s in matrix.part_columns],
                    y_order=[r["carrier"] for r in matrix.rows[:-1]],
                ),
                "Heat map of incidents by carrier and leak stage",
            )
        )
    blocks.append(matrix)
    return Section("incidents", "7 泄露事件 Incidents by carrier and leak stage", blocks)


def _movers_section(content: ReportContent) -> Section:
    table = content.tables["movers"]
    intro = (
        "<p>The largest relative rises and falls found automatically, against the previous quarter and the "
        "same quarter a year before, with the base sizes they rest on.</p>"
    )
    if not table.rows:
        intro += "<p class='callout'>No breakdown has a base of at least 30 on both sides this quarter.</p>"
    return Section("movers", "8 变化 What changed", [intro, table])


def _quality_section(content: ReportContent, warehouse_dir: Path, min_count: int) -> Section:
    blocks: list = [content.tables["crawl_coverage"]]
    low = [r["channel_name"] for r in content.tables["crawl_coverage"].rows if r.get("is_low_coverage")]
    if low:
        blocks.append(
            f"<p class='callout'>低覆盖 Low coverage this quarter: {html.escape(', '.join(low))}. "
            "Changes resting on these channels are not published.</p>"
        )
    blocks.append(content.tables["ingest_audit"])
    issues = content.tables.get("ingest_issues")
    if issues is not None and issues.rows:
        blocks.append(issues)
    validation = content.tables.get("validation_results")
    if validation is not None:
        blocks.append(validation)
    data_docs = warehouse_dir / "data_docs" / "index.html"
    if content.public:
        # file names, reasons and Data Docs (which quote unexpected raw values) stay in the internal version
        blocks.append(
            "<p class='muted'>Per-file ingest issues and the validation results (Great Expectations Data "
            "Docs) are in the internal version of this report.</p>"
        )
    elif data_docs.exists():
        blocks.append(
            f"<p>验证结果 Validation results of every ingest (Great Expectations Data Docs): "
            f'<a href="{html.escape(data_docs.resolve().as_uri())}">{html.escape(str(data_docs))}</a></p>'
        )
    else:
        blocks.append(
            "<p class='muted'>Great Expectations Data Docs were not found beside the database "
            f"({html.escape(str(data_docs))}); run <code>waybill-watch run</code> to produce them.</p>"
        )
    if content.disc.conflicts:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in content.disc.conflicts[:20])
        blocks.append(
            f"<div class='callout'><b>Marts disagree</b> on these figures (the first source is "
            f"shown):<ul>{items}</ul></div>"
        )
    else:
        blocks.append(
            "<p>一致性 Consistency: every figure that appears in two marts has the same value in both.</p>"
        )
    if content.public:
        blocks.append(
            f"<div class='callout'><b>公开版 Public version.</b> Counts from 1 to {min_count - 1} are "
            "replaced by "
            f"<b>{SUPPRESSED_MARK}</b> (primary suppression). Where a row or column with a total shown "
            "would then "
            f"hold a single hidden cell, the next-smallest cell of that line is hidden too (complementary "
            "suppression), repeated until every line has no hidden cell or at least two, so no hidden "
            "count can "
            "be worked out from the totals. The same count is hidden in every table and chart it "
            "appears in; "
            "rates, shares, medians and money amounts follow the suppression of the count they rest "
            "on. Zeros "
            f"are shown: a true zero discloses nothing about a person. {len(content.disc.suppressed)} counts "
            f"were hidden ({len(content.disc.primary)} small, the rest complementary).</div>"
        )
    return Section("quality", "9 数据质量 Data quality", blocks)


def _methodology_section(content: ReportContent) -> Section:
    items = [
        (
            "在售信息 Active listing",
            "a sale listing observed in the period with status active or sold out; "
            "new = first observed in the period; removed = the first fetch showing removal or HTTP "
            "404/410, or, "
            "failing that, the first of three later crawl days of its site without it.",
        ),
        (
            "卖家 Seller",
            "a keyed hash (HMAC-SHA256) of the seller handle; the same handle on two sites is one "
            "seller. No handle, contact or sample record leaves the ingest boundary.",
        ),
        (
            "单价 Unit price",
            "CNY per single record, parsed from the listing's price text or structured fields and "
            "converted at the fetch month's exchange rate; prices outside 0.001–50 CNY are outliers and "
            "left out of "
            "every price statistic. Medians and quartiles interpolate linearly.",
        ),
        (
            "单价指数 Price index",
            "100 × the quarter's median unit price over the base quarter's median, per "
            "channel; the base quarter is the first with data unless set by the dbt var "
            "price_index_base_quarter.",
        ),
        (
            "地区 Region",
            "GB/T 2260 province code of the records on offer (listings), of the case or of the "
            "incident; 'multi' = several named provinces, 'national' = nationwide.",
        ),
        (
            "覆盖率 Coverage",
            "crawled site-days over expected site-days of the channel's sites; a site is expected "
            "every day from its first to its last crawl. Below 80 % is low coverage.",
        ),
        (
            "变化 Changes",
            "in percent on the previous quarter (q/q) and on the same quarter a year before (y/y); "
            "not published where either side has fewer than 30 listings, priced listings, cases or "
            "incidents, or "
            "either quarter has low coverage.",
        ),
        (
            "立案 Cases",
            "count in the quarter of opening (closed cases in the quarter of closing); suspects, "
            "records, gains, fines and sites shut with the opening quarter. Agencies: SPB 国家邮政局, MIIT "
            "工业和"
            "信息化部, MPS 公安部, MSS 国家安全部, MOFCOM 商务部, SAMR 国家市场监督管理总局 (formerly SAIC).",
        ),
        (
            "泄露事件 Incidents",
            "reports from the 12305 hotline, company self-reports, police referrals and the "
            "media, in the quarter reported, without unfounded ones; the carrier is the first one named.",
        ),
        (
            "数据 Data",
            "the published analyst database (analyst.duckdb), replaced atomically only after every "
            "dbt test passes. Every table of this report is also a CSV file (UTF-8 with BOM) in csv/ "
            "beside it, "
            "described in csv/manifest.json; a hidden count is written [c].",
        ),
    ]
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    csvs = ", ".join(f"csv/{name}.csv" for name in content.tables)
    return Section(
        "methodology",
        "10 方法与定义 Methodology and definitions",
        [
            f"<dl class='facts' style='grid-template-columns: 40mm auto'>{dl}</dl>",
            f"<h3>数据文件 Data files</h3><p class='muted'>{html.escape(csvs)}</p>",
        ],
    )


# ---- title page ----------------------------------------------------------------------------------


def _title_page(content: ReportContent, span: dict[str, Any], public: bool, min_count: int) -> str:
    q = content.q
    coverage = next((r for r in content.tables["crawl_coverage"].rows if r["channel"] == "all"), None)

    def period(key: str) -> str:
        s = span.get(key)
        return f"{s['first']} – {s['last']}" if s and s.get("first") else "–"

    facts = [
        ("报告期 Quarter", f"{q}: {q.start.isoformat()} – {(q.end - dt.timedelta(days=1)).isoformat()}"),
        ("监测数据 Crawl data", period("crawl")),
        ("监测网站 Sites monitored", format_value(span.get("crawl", {}).get("sites"), "tally")),
        (
            "本季覆盖率 Crawl coverage this quarter",
            format_value(coverage["coverage_ratio"], "ratio") if coverage else "–",
        ),
        ("立案数据 Case data (opened)", period("cases")),
        ("事件数据 Incident data (reported)", period("incidents")),
        ("可用季度 Quarters available", f"{content.quarters[0]} – {content.db.available_quarters()[-1]}"),
        ("生成时间 Generated", generated_at()),
    ]
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts)
    badge = (
        f"<span class='badge public'>公开版 PUBLIC · counts below {min_count} suppressed</span>"
        if public
        else "<span class='badge internal'>内部版 INTERNAL · not for publication</span>"
    )
    return (
        "<div class='title-page'><div>"
        "<div class='kicker'>WAYBILL-WATCH · 快递运单信息非法交易监测</div>"
        "<h1>快递运单信息非法交易季度趋势报告</h1>"
        "<p class='subtitle'>Quarterly trend report on the illegal trade in courier waybill information</p>"
        f"<div class='quarter'>{q}</div><div class='quarter-zh'>{q.label_zh}</div>{badge}</div>"
        f"<div><h3>数据覆盖 Data coverage</h3><dl class='facts'>{dl}</dl>"
        "<p class='muted' style='margin-top:8mm'>Evidence base of the joint mechanism of the State Post "
        "Bureau, "
        "MIIT, MPS, MSS, MOFCOM and SAMR against the illegal trading and disclosure of delivery-service "
        "information. Figures come from the published analyst database; definitions are in section 10.</p>"
        "</div></div>"
    )
