"""Static charts: Altair specs rendered offline by vl-convert to PNG data URIs (no CDN, no JS)."""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from waybill_watch.report.data import PolicyEvent

FONT = "Noto Sans CJK SC"
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
WIDTH = 620
SCALE = 2
INK = "#1f2933"
ACCENT = "#b4232a"
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f", "#17becf", "#bcbd22"]


@functools.cache
def register_fonts() -> None:
    """vl-convert only sees fonts it is told about; the CJK fonts live under /usr/share/fonts."""
    for directory in FONT_DIRS:
        if Path(directory).is_dir():
            vlc.register_font_directory(directory)


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white")
        .configure_title(
            font=FONT, fontSize=15, anchor="start", color=INK, subtitleColor="#52606d", subtitleFontSize=11
        )
        .configure_axis(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=11,
            titleFontSize=12,
            labelColor=INK,
            titleColor=INK,
            gridColor="#e4e7eb",
            domainColor="#9aa5b1",
            tickColor="#9aa5b1",
        )
        .configure_legend(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=11,
            titleFontSize=11,
            orient="bottom",
            columns=4,
            labelLimit=260,
        )
        .configure_view(stroke=None)
    )


def _title(title: str, source: str) -> alt.TitleParams:
    return alt.TitleParams(text=title, subtitle=f"来源 Source: {source}")


def to_data_uri(chart: alt.TopLevelMixin) -> tuple[str, int]:
    """The chart as a PNG data URI at 2× resolution, and its width in CSS pixels."""
    register_fonts()
    png = vlc.vegalite_to_png(_config(chart).to_dict(), scale=SCALE)
    width = int.from_bytes(png[16:20], "big") // SCALE  # PNG IHDR: width at bytes 16–19
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), width


def _quarter_ticks(records: list[dict[str, Any]]) -> list[alt.DateTime]:
    """One tick per quarter start present in the data (month ticks would repeat the quarter label)."""
    days = sorted({str(r["period"])[:10] for r in records})
    return [alt.DateTime(year=int(d[:4]), month=int(d[5:7]), date=int(d[8:10])) for d in days]


def line_by_series(
    records: list[dict[str, Any]],
    *,
    title: str,
    y_title: str,
    source: str,
    series_title: str,
    y_format: str = ",.0f",
    events: list[PolicyEvent] | None = None,
    emphasize: str | None = None,
    zero: bool = True,
) -> alt.TopLevelMixin:
    """records: {period (ISO date), series, value}; policy events become numbered dashed rules."""
    series = sorted({r["series"] for r in records}, key=lambda s: (s != emphasize, s))
    colors = ([INK] if emphasize in series else []) + PALETTE
    x = alt.X(
        "period:T",
        title="季度 Quarter",
        axis=alt.Axis(format="%YQ%q", values=_quarter_ticks(records), labelAngle=0, grid=False),
    )
    lines = (
        alt.Chart(alt.Data(values=records))
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=y_format), scale=alt.Scale(zero=zero)),
            color=alt.Color(
                "series:N", title=series_title, scale=alt.Scale(domain=series, range=colors[: len(series)])
            ),
            strokeWidth=alt.condition(alt.datum.series == (emphasize or ""), alt.value(3.5), alt.value(1.8)),
        )
    )
    layers: list[alt.Chart] = [lines]
    if events:
        event_data = alt.Data(
            values=[{"period": e.date.isoformat(), "label": f"({i})"} for i, e in enumerate(events, start=1)]
        )
        rules = alt.Chart(event_data).mark_rule(color=ACCENT, strokeDash=[4, 3]).encode(x="period:T")
        labels = (
            alt.Chart(event_data)
            .mark_text(align="left", dx=3, baseline="top", color=ACCENT, fontSize=11, fontWeight="bold", y=2)
            .encode(x="period:T", text="label:N")
        )
        layers += [rules, labels]
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=_title(title, source))


def ranked_bars(
    records: list[dict[str, Any]],
    *,
    title: str,
    x_title: str,
    source: str,
    x_format: str = ",.0f",
    color: str = "#1f77b4",
) -> alt.TopLevelMixin:
    """records: {label, value}, drawn largest first as horizontal bars with value labels."""
    height = max(120, 17 * len(records))
    base = alt.Chart(alt.Data(values=records)).encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("value:Q", title=x_title, axis=alt.Axis(format=x_format)),
    )
    bars = base.mark_bar(color=color, height={"band": 0.75})
    text = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(
        text=alt.Text("value:Q", format=x_format)
    )
    return (bars + text).properties(width=WIDTH - 160, height=height, title=_title(title, source))


def stacked_bars(
    records: list[dict[str, Any]], *, title: str, x_title: str, source: str, color_title: str
) -> alt.TopLevelMixin:
    """records: {label, series, value, order}; bars sorted by their total."""
    height = max(120, 18 * len({r["label"] for r in records}))
    return (
        alt.Chart(alt.Data(values=records))
        .mark_bar(height={"band": 0.75})
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("sum(value):Q", title=x_title, axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", title=color_title, scale=alt.Scale(range=PALETTE)),
            order=alt.Order("series:N"),
        )
        .properties(width=WIDTH - 160, height=height, title=_title(title, source))
    )


def heatmap(
    records: list[dict[str, Any]],
    *,
    title: str,
    source: str,
    x_title: str,
    y_title: str,
    value_title: str,
    x_order: list[str],
    y_order: list[str],
) -> alt.TopLevelMixin:
    """records: {x, y, value}; value None = suppressed, drawn grey and marked [c]."""
    for r in records:
        r["text"] = "[c]" if r["value"] is None else f"{r['value']:,.0f}"
    base = alt.Chart(alt.Data(values=records)).encode(
        x=alt.X("x:N", title=x_title, sort=x_order, axis=alt.Axis(labelAngle=-35, labelLimit=160)),
        y=alt.Y("y:N", title=y_title, sort=y_order, axis=alt.Axis(labelLimit=200)),
    )
    hidden = base.transform_filter("datum.value === null").mark_rect(color="#d9dee4", stroke="white")
    zeros = base.transform_filter("datum.value === 0").mark_rect(color="#ffffff", stroke="#e4e7eb")
    cells = (
        base.transform_filter("datum.value > 0")
        .mark_rect(stroke="white")
        .encode(color=alt.Color("value:Q", title=value_title, scale=alt.Scale(scheme="oranges", domainMin=0)))
    )
    text = base.mark_text(fontSize=10, color=INK).encode(text="text:N")
    n_y = len({r["y"] for r in records})
    return (hidden + zeros + cells + text).properties(
        width=WIDTH - 120, height=max(150, 24 * n_y), title=_title(title, source)
    )


def grouped_trend(
    records: list[dict[str, Any]], *, title: str, y_title: str, source: str, series_title: str
) -> alt.TopLevelMixin:
    """records: {quarter (label), series, value}: bars per quarter, one colour per series."""
    return (
        alt.Chart(alt.Data(values=records))
        .mark_bar()
        .encode(
            x=alt.X("quarter:N", title="季度 Quarter", axis=alt.Axis(labelAngle=0)),
            xOffset="series:N",
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", title=series_title, scale=alt.Scale(range=PALETTE[1:])),
        )
        .properties(width=WIDTH, height=260, title=_title(title, source))
    )
