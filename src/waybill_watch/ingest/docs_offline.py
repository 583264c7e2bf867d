"""Make GX Data Docs self-contained: no page references anything outside its folder.

The GX page templates load Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from
public CDNs, and the project rule is no CDN scripts in HTML (an offline reader must see the
same page, and opening the docs must not tell a third party). So, after each build:

- every `<script>` goes (the external ones are CDN code; the inline ones only drive those
  libraries: jQuery calls, bootstrap-table set-up) and every external `<link>` / `<img>`;
- the tables GX fills in with bootstrap-table at view time (the index's run and suite lists)
  are rendered into static HTML from the data the inline script carried;
- a small inline stylesheet keeps the pages readable (tables, status icons, hidden pop-ups);
- `url(http…)` in inline and local CSS is dropped.

Links in the text (`<a href="https://docs.greatexpectations.io/…">`) stay: they fetch nothing.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

OFFLINE_MARK = "waybill-watch-offline"

EXTERNAL = r"""["']?(?:https?:)?//"""
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
_EXTERNAL_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*{EXTERNAL}[^>]*>", re.I)
_EXTERNAL_IMG = re.compile(rf"<img\b[^>]*\bsrc\s*=\s*{EXTERNAL}[^>]*>", re.I)
_EXTERNAL_CSS_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.I)
_BOOTSTRAP_TABLE = re.compile(
    r"""\$\(['"]#(?P<id>[\w-]+)['"]\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*"""
    r"""columns:\s*(?P<columns>\[.*?\]),\s*data:\s*(?P<data>\[.*?\]),\s*toolbar:""",
    re.S,
)

STYLE = f"""<style id="{OFFLINE_MARK}">
body {{ font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; line-height: 1.4; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }}
th {{ background: #f2f2f2; }}
.fas::before {{ font-style: normal; font-weight: bold; }}
.fa-check-circle::before {{ content: "\\2714"; color: #1a7f37; }}
.fa-times::before, .fa-times-circle::before {{ content: "\\2718"; color: #c62828; }}
.fa-question-circle::before {{ content: "?"; }}
.text-success {{ color: #1a7f37; }} .text-danger {{ color: #c62828; }}
.modal, .invisible, .cooltip .top, .tooltiptext, #ge-cta-footer, .d-none {{ display: none; }}
.ge-offline-note {{ color: #666; font-size: 0.9em; }}
</style>
"""


def make_offline(docs_dir: Path, written_since: float | None = None) -> int:
    """Rewrite every HTML (and local CSS) file under `docs_dir`; the number of files changed.
    With `written_since` (a POSIX time), only pages modified since then: a build writes the
    pages it renders, and the others were made offline when they were written."""
    changed = 0
    for path in sorted(docs_dir.rglob("*.html")):
        if written_since is not None and path.stat().st_mtime < written_since:
            continue
        text = path.read_text(encoding="utf-8")
        offline = offline_html(text)
        if offline != text:
            path.write_text(offline, encoding="utf-8")
            changed += 1
    for path in sorted(docs_dir.rglob("*.css")):  # a few, copied from GX with their own times
        text = path.read_text(encoding="utf-8")
        offline = _EXTERNAL_CSS_URL.sub("none", text)
        if offline != text:
            path.write_text(offline, encoding="utf-8")
            changed += 1
    return changed


def offline_html(text: str) -> str:
    """One page without external scripts, stylesheets and images; idempotent."""
    if OFFLINE_MARK in text:
        return text
    for match in _BOOTSTRAP_TABLE.finditer(text):
        text = _fill_table(text, match.group("id"), match.group("columns"), match.group("data"))
    text = _SCRIPT.sub("", text)
    text = _EXTERNAL_LINK.sub("", text)
    text = _EXTERNAL_IMG.sub("", text)
    text = _EXTERNAL_CSS_URL.sub("none", text)
    # Filter buttons drive bootstrap-table, which is gone.
    text = re.sub(r"<button\b[^>]*onclick=[^>]*>.*?</button\s*>", "", text, flags=re.S | re.I)
    head = re.search(r"<head\b[^>]*>", text, re.I)
    if head is None:
        return STYLE + text
    return text[: head.end()] + "\n" + STYLE + text[head.end() :]


def _fill_table(text: str, table_id: str, columns_src: str, data_src: str) -> str:
    """Static rows in the (empty) table element GX left for bootstrap-table."""
    table = re.search(rf"(<table\b[^>]*\bid=\"{re.escape(table_id)}\"[^>]*>)\s*(</table>)", text, re.S)
    if table is None:
        return text
    try:
        columns = ast.literal_eval(columns_src)
        rows = ast.literal_eval(data_src)
    except (ValueError, SyntaxError):
        body = '<caption class="ge-offline-note">(table not available offline)</caption>'
    else:
        body = _table_body(columns, rows)
    return text[: table.end(1)] + body + text[table.start(2) :]


def _table_body(columns: list[dict], rows: list[dict]) -> str:
    fields = [c["field"] for c in columns]
    head = "".join(f"<th>{html.escape(str(c.get('title', c['field'])))}</th>" for c in columns)
    sort_key = next((c.get("sortName", c["field"]) for c in columns if c["field"] == "run_time"), None)
    if sort_key:
        rows = sorted(rows, key=lambda r: r.get(sort_key) or 0, reverse=True)
    out = [f"<thead><tr>{head}</tr></thead><tbody>"]
    for row in rows:
        link = row.get("_table_row_link_path")
        cells = []
        for i, field in enumerate(fields):
            # Values are GX-rendered HTML fragments (icons, links); they are kept as they are.
            cell = str(row.get(field, "") or "").strip()
            if i == 0 and link:
                cell = f'<a href="{html.escape(str(link))}">{cell or "open"}</a>'
            cells.append(f"<td>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    return "".join(out)
