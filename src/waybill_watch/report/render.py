"""Sections → one self-contained HTML file (charts inlined as data URIs) and its PDF via WeasyPrint."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt

from waybill_watch.report import charts
from waybill_watch.report.tables import Table


@dataclass
class Figure:
    chart: alt.TopLevelMixin
    alt_text: str
    caption: str = ""


Block = str | Table | Figure


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    page_break: bool = True


CSS = """
@page { size: A4; margin: 18mm 15mm 18mm 15mm;
  @bottom-left { content: "waybill-watch · %(quarter)s%(mode)s"; font-size: 8pt; color: #7b8794; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #7b8794; } }
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
html { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; color: #1f2933; font-size: 10pt;
  line-height: 1.45; }
body { margin: 0 auto; max-width: 190mm; padding: 0 4mm; background: #fff; }
h1, h2, h3 { font-weight: 700; color: #102a43; }
h2 { font-size: 16pt; border-bottom: 2px solid #b4232a; padding-bottom: 3px; margin: 0 0 10px; }
h3 { font-size: 12pt; margin: 14px 0 6px; }
section { padding-top: 6mm; }
section.break { break-before: page; }
.title-page { height: 235mm; display: flex; flex-direction: column; justify-content: space-between;
  break-after: page; padding-top: 20mm; }
.title-page .kicker { color: #b4232a; letter-spacing: .08em; font-weight: 700; font-size: 11pt; }
.title-page h1 { font-size: 26pt; margin: 6px 0 4px; line-height: 1.25; }
.title-page .subtitle { font-size: 14pt; color: #486581; margin: 0; }
.title-page .quarter { font-size: 44pt; font-weight: 700; color: #102a43; margin: 22mm 0 0;
    line-height: 1.1; }
.title-page .quarter-zh { font-size: 18pt; color: #486581; margin: 0 0 6mm; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 3px; font-size: 9pt; font-weight: 700;
  color: #fff; background: #486581; }
.badge.public { background: #2f8132; } .badge.internal { background: #b4232a; }
dl.facts { display: grid; grid-template-columns: 64mm auto; gap: 3px 10px; font-size: 10pt; margin: 0; }
dl.facts dt { color: #52606d; } dl.facts dd { margin: 0; }
.callout { border-left: 4px solid #b4232a; background: #f5f7fa; padding: 6px 10px; margin: 8px 0; }
.kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; margin: 4mm 0 6mm; }
.kpi { border: 1px solid #d9e2ec; border-top: 3px solid #102a43; padding: 3mm 4mm; break-inside: avoid; }
.kpi-label { font-weight: 700; color: #334e68; font-size: 10pt; line-height: 1.3; }
.kpi-label small { font-weight: 400; color: #627d98; font-size: 8.5pt; }
.kpi-value { font-size: 22pt; font-weight: 700; color: #102a43; margin: 2mm 0 1mm; }
.kpi-change span { display: block; font-size: 9pt; }
.up, .down { color: #243b53; } .flat { color: #9aa5b1; }
figure { margin: 8px 0 14px; break-inside: avoid; }
figure img { max-width: 100%%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: #52606d; }
.table-wrap { margin: 8px 0 14px; }
table.data { border-collapse: collapse; width: 100%%; font-size: 8.5pt; }
table.data caption { text-align: left; font-weight: 700; font-size: 10pt; padding-bottom: 4px; color:
    #102a43; }
table.data th { background: #102a43; color: #fff; font-weight: 700; padding: 4px 5px; vertical-align:
    bottom; }
table.data td { padding: 3px 5px; border-bottom: 1px solid #e4e7eb; }
table.data tr { break-inside: avoid; }
table.data.wide { font-size: 7.5pt; } table.data.wide th, table.data.wide td { padding: 3px 3px; }
table.data tbody tr:nth-child(even) td { background: #f8f9fb; }
table.data tr.total td { font-weight: 700; border-top: 1.5px solid #102a43; background: #eef2f7; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.data th { word-break: keep-all; overflow-wrap: normal; }
table.data th.nowrap { white-space: nowrap; }
.txt { text-align: left; }
td.supp { color: #b4232a; }
p.source, p.tnote { break-before: avoid; }
p.source, p.tnote { font-size: 8pt; color: #52606d; margin: 3px 0 0; }
nav.toc ul { list-style: none; padding: 0; font-size: 11pt; line-height: 1.9; } nav.toc a { color:
    #102a43; text-decoration: none; }
a { color: #1f5fa8; }
.muted { color: #7b8794; }
@media screen { body { padding: 10px 20px 40px; } section.break { border-top: 1px dashed #cbd2d9;
  margin-top: 12mm; } .title-page { height: auto; min-height: 200mm; } }
"""


def _block_html(block: Block, context: RenderContext) -> str:
    if isinstance(block, Table):
        return block.to_html(context.disclosure)
    if isinstance(block, Figure):
        uri, width = charts.to_data_uri(block.chart)
        text = block.caption
        if context.public:
            text = f"{text} 公开版 Public version: hidden counts ([c]) are left out of the chart.".strip()
        caption = f"<figcaption>{html.escape(text)}</figcaption>" if text else ""
        # natural size (the PNG is rendered at twice the CSS pixels), so chart text matches body text
        return (
            f'<figure><img src="{uri}" style="width: {width}px" alt="{html.escape(block.alt_text)}">'
            f"{caption}</figure>"
        )
    return block


@dataclass
class RenderContext:
    disclosure: object
    quarter: str
    public: bool


def render_html(title_page: str, sections: list[Section], context: RenderContext) -> str:
    toc = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections)
    body = [title_page, f'<nav class="toc"><h2>目录 Contents</h2><ul>{toc}</ul></nav>']
    for section in sections:
        blocks = "".join(_block_html(b, context) for b in section.blocks)
        cls = ' class="break"' if section.page_break else ""
        body.append(
            f'<section id="{section.anchor}"{cls}><h2>{html.escape(section.title)}</h2>{blocks}</section>'
        )
    css = CSS % {"quarter": context.quarter, "mode": " · public" if context.public else " · internal"}
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # no external resources at all: a policy the browser enforces, not just a habit
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\">"
        f"<title>waybill-watch {html.escape(context.quarter)} 季度趋势报告 Quarterly trend report</title>"
        f"<style>{css}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_pdf(html_text: str, pdf_path: Path, base_dir: Path) -> None:
    from weasyprint import HTML  # imported late: it loads Pango, slow and only needed here

    HTML(string=html_text, base_url=str(base_dir)).write_pdf(str(pdf_path))


def generated_at() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
