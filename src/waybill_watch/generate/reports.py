"""Incident and case exports: monthly / quarterly CSVs with updates, overlaps and mixed encodings.

Each incident or case has versions (first report, later updates with `updated_at` and a new
status); exports are snapshots that overlap. The truth is the latest version's normalized values.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from waybill_watch.generate import market, pools
from waybill_watch.generate.attributes import _id_number, _name, _phone, _waybill, pick
from waybill_watch.generate.files import FileLedger
from waybill_watch.landing import INCIDENT_FIELDS

INCIDENTS = {"tiny": 400, "small": 3000, "medium": 20000, "large": 60000}
CASES = {"tiny": 160, "small": 900, "medium": 6000, "large": 15000}

EARLY_EXPORT_END = "2025-04"  # monthly incident exports before this month have no city column
INCIDENT_COLUMNS = list(INCIDENT_FIELDS)  # the landing contract's order (SPEC §3.2)
CASE_COLUMNS = [
    "case_id",
    "agency",
    "province",
    "city",
    "opened_on",
    "updated_at",
    "closed_on",
    "case_type",
    "suspects",
    "suspect_names",
    "records_involved",
    "illegal_gain_cny",
    "fine_cny",
    "sites_shut",
    "outcome",
]
# Carrier texts of incidents name one carrier first (an incident's carrier_code is the first named).
INCIDENT_CARRIERS: tuple[tuple[str, str], ...] = (
    *(
        (t, c)
        for t, c in pools.CARRIERS
        if c in {"ZTO", "SF", "YTO", "STO", "YUNDA", "JT", "JD", "EMS", "DEPPON", "BEST"}
    ),
    ("圆通/申通", "YTO"),
    ("中通 韵达", "ZTO"),
    ("", "UNKNOWN"),
    ("不知道", "UNKNOWN"),
)
# (amount text template, multiplier) — rendered from a true integer value.
AMOUNT_FORMS = ("{int}", "{comma}", "约{wan}万", "{wan}万余条", "{wan}万", "{yi}亿")
MONEY_FORMS = ("{int}", "{comma}", "¥{comma}", "{wan}万元", "{int}元")


@dataclass
class Version:
    row: dict[str, str]
    when: datetime  # when this version was exported (decides the export file)


@dataclass
class ReportOutput:
    incidents_truth: list[dict] = field(default_factory=list)
    cases_truth: list[dict] = field(default_factory=list)
    reporter_phones: list[str] = field(default_factory=list)
    suspect_names: list[str] = field(default_factory=list)
    description_pii: list[str] = field(default_factory=list)


def _date_text(
    rng: np.random.Generator, when: datetime, with_time: bool = True, form: int | None = None
) -> str:
    forms = pools.DATE_FORMATS if with_time else pools.DATE_FORMATS[:4] + pools.DATE_FORMATS[7:]
    f = forms[int(rng.integers(0, len(forms))) if form is None else form % len(forms)]
    return f.format(y=when.year, m=when.month, d=when.day, H=when.hour, M=when.minute)


def _amount(
    rng: np.random.Generator, value: int, money: bool = False, form: int | None = None
) -> tuple[str, int | None]:
    """An amount text and the value it states; round values so every form is exact."""
    forms = MONEY_FORMS if money else AMOUNT_FORMS
    if form is not None and form % (len(forms) + 1) == len(forms):
        return "不详", None
    if form is None and rng.random() < 0.06:
        return ("不详" if rng.random() < 0.6 else ""), None
    f = forms[int(rng.integers(0, len(forms))) if form is None else form % (len(forms) + 1)]
    if "{yi}" in f and value < 50_000_000:
        if form is None:
            f = "{comma}"  # nobody writes 300 records as 0.00003亿
        else:
            value = 120_000_000  # a forced example of the form: a big leak
    if "{wan}" in f and value < 5000:
        f = "{int}" if form is None else f
        value = value if form is None else 20_000
    if "{yi}" in f:
        value = max(1, round(value / 10_000_000)) * 10_000_000
        return f.format(yi=f"{value / 100_000_000:g}"), value
    if "{wan}" in f:
        value = max(1, round(value / 1000)) * 1000
        return f.format(wan=f"{value / 10_000:g}"), value
    return f.format(int=value, comma=f"{value:,}"), value


def _province(rng: np.random.Generator, code: str) -> tuple[str, str | None, str | None]:
    """Province and city text as an office writes them, and the city's code."""
    p = next(x for x in pools.PROVINCES if x[0] == code)
    form = int(rng.integers(0, 4))
    prov_text = (p[1], p[2], p[4], p[1])[form]
    cities = [c for c in pools.CITIES if c[0] == code]
    if cities and rng.random() < 0.6:
        c = cities[int(rng.integers(0, len(cities)))]
        return prov_text, c[2] + ("市" if rng.random() < 0.5 else ""), c[1]
    return prov_text, None, None


def _population_weights() -> np.ndarray:
    w = np.array([p[5] for p in pools.PROVINCES])
    return w / w.sum()


def build_incidents(rng: np.random.Generator, scale: str, out: ReportOutput) -> list[list[Version]]:
    days = np.arange(market.N_DAYS)
    # Reports rise after the policy notice (new hotline), as an analyst would expect.
    weights = np.where(days >= market.day_of(market.POLICY_DATE), 1.6, 1.0)
    codes = [p[0] for p in pools.PROVINCES]
    all_versions = []
    n = INCIDENTS[scale]
    # Draw the weighted choices at once: rng.choice with p per call is slow.
    days_drawn = rng.choice(len(weights), size=n, p=weights / weights.sum())
    regions_drawn = rng.choice(len(codes), size=n, p=_population_weights())
    finals_drawn = rng.choice(4, size=n, p=[0.45, 0.15, 0.3, 0.1])
    for k in range(n):
        day = market.START + timedelta(days=int(days_drawn[k]))
        reported = datetime.combine(day, datetime.min.time()) + timedelta(
            minutes=int(rng.integers(8 * 60, 22 * 60))
        )
        code = codes[int(regions_drawn[k])]
        prov_text, city_text, city_code = _province(rng, code)
        region = code
        if rng.random() < 0.04:
            prov_text, city_text, city_code, region = "", None, None, "unknown"
        # The first incidents show every carrier, leak-stage, date and amount form once.
        forced = k < 40
        ci = k % len(INCIDENT_CARRIERS) if forced else int(rng.integers(0, len(INCIDENT_CARRIERS)))
        si = k % len(pools.LEAK_STAGES) if forced else int(rng.integers(0, len(pools.LEAK_STAGES)))
        carrier, carrier_code = INCIDENT_CARRIERS[ci]
        stage, stage_code = pools.LEAK_STAGES[si]
        rec_text, rec = _amount(
            rng,
            pick(rng, (300, 1200, 5000, 20000, 56000, 120000, 3_000_000)),
            form=k if forced else None,
        )
        phone = _phone(rng)
        name = _name(rng)
        wb = _waybill(rng)
        reporter = phone if rng.random() < 0.7 else f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        desc = pick(
            rng,
            (
                f"{name}（{_phone(rng)}）反映收到冒充快递客服的诈骗电话，对方准确说出其运单号{wb}。",
                f"网点员工疑似倒卖面单，涉及收件人{name}，身份证{_id_number(rng)}。",
                "多名用户投诉收到精准诈骗短信，怀疑快递信息泄露。",
                f"群内出售{carrier or '快递'}面单，样例含手机号{_phone(rng)}。",
            ),
        )
        out.reporter_phones.append(reporter)
        out.description_pii.append(desc)
        iid = f"INC-{day.year}-{k + 1:06d}"
        status_final = ("verified", "unfounded", "closed", "open")[int(finals_drawn[k])]
        base = {
            "incident_id": iid if rng.random() > 0.05 else f" {iid} ",
            "reported_at": _date_text(rng, reported, form=k if forced else None),
            "updated_at": "",
            "source": pick(rng, pools.INCIDENT_SOURCES),
            "province": prov_text,
            "city": city_text or "",
            "carrier": carrier,
            "leak_stage": stage,
            "records_affected": rec_text,
            "description": desc,
            "reporter_phone": reporter,
            "status": pick(rng, pools.INCIDENT_STATUSES_OPEN),
        }
        versions = [Version(dict(base), reported)]
        if rng.random() < 0.5:
            versions[0].row["updated_at"] = _date_text(rng, reported + timedelta(hours=1))
        final = versions[0]
        upd = reported + timedelta(days=int(rng.integers(3, 80)), hours=int(rng.integers(0, 10)))
        if upd.date() > market.END:
            status_final = "open"  # the update has not happened by the end of the data
        if status_final != "open":
            row = dict(base, updated_at=_date_text(rng, upd), status=status_final)
            final = Version(row, upd)
            versions.append(final)
        out.incidents_truth.append(
            {
                "incident_id": iid,
                "reported_date": reported.date(),
                "source": final.row["source"],
                "region_code": region,
                # The latest version's file lacks the city column: no city.
                "city_code": None if _month_key(final.when) < EARLY_EXPORT_END else city_code,
                "carrier_code": carrier_code,
                "leak_stage": stage_code,
                "records_affected": rec,
                "status": status_final if status_final != "open" else "open",
                "versions": len(versions),
            }
        )
        all_versions.append(versions)
    return all_versions


def build_cases(rng: np.random.Generator, scale: str, out: ReportOutput) -> list[list[Version]]:
    days = np.arange(market.N_DAYS)
    campaign = market.day_of(market.CAMPAIGN_DATE)
    codes = [p[0] for p in pools.PROVINCES]
    w = np.array([p[5] for p in pools.PROVINCES])
    gd = codes.index(market.CAMPAIGN_REGION)
    all_versions = []
    n = CASES[scale]
    ww = w.copy()
    ww[gd] *= 0.6
    regions_drawn = rng.choice(len(codes), size=n, p=ww / ww.sum())
    types_drawn = rng.choice(2, size=n, p=[0.6, 0.4])
    # The campaign: a quarter of all cases are Guangdong cases opened from March 2026 on.
    n_campaign = n // 4
    for k in range(n):
        if k < n_campaign:
            day = market.START + timedelta(days=int(rng.integers(campaign, market.N_DAYS)))
            code = market.CAMPAIGN_REGION
            agency, agency_code = pools.GUANGDONG_AGENCIES[
                int(rng.integers(0, len(pools.GUANGDONG_AGENCIES)))
            ]
        else:
            day = market.START + timedelta(days=int(rng.integers(0, len(days))))
            code = codes[int(regions_drawn[k])]
            j = k - n_campaign
            ai = j if j < len(pools.AGENCIES) else int(rng.integers(0, len(pools.AGENCIES)))
            agency, agency_code = pools.AGENCIES[ai]
        opened = datetime.combine(day, datetime.min.time()) + timedelta(hours=int(rng.integers(9, 18)))
        prov_text, city_text, _city_code = _province(rng, code)
        names = [_name(rng) for _ in range(int(rng.integers(1, 5)))]
        out.suspect_names.extend(names)
        case_type = pools.CASE_TYPES[int(types_drawn[k])]
        rec_text, rec = _amount(rng, pick(rng, (5000, 20000, 80000, 450000, 2_000_000, 120_000_000)))
        gain_text, gain = _amount(
            rng, pick(rng, (3000, 12000, 56000, 180000, 950000)), money=True, form=k if k < 12 else None
        )
        shut_hosts = [str(h) for h in rng.choice(market.SITE_NAMES, int(rng.integers(0, 4)), replace=False)]
        shut_text = ";".join(shut_hosts)
        if len(shut_hosts) == 2 and rng.random() < 0.3:
            shut_text = f"{shut_hosts[0]};{shut_hosts[1]};{shut_hosts[0]}"  # listed twice, counts once
        prefix = next(p[4] for p in pools.PROVINCES if p[0] == code)[:2].upper()
        cid = f"{prefix}-{day.year}-{k + 1:05d}"
        base = {
            "case_id": cid,
            "agency": agency,
            "province": prov_text,
            "city": city_text or "",
            "opened_on": _date_text(rng, opened, with_time=False, form=k if k < 12 else None),
            "updated_at": "",
            "closed_on": "",
            "case_type": case_type,
            "suspects": str(len(names)),
            "suspect_names": ";".join(names),
            "records_involved": rec_text,
            "illegal_gain_cny": gain_text,
            "fine_cny": "",
            "sites_shut": shut_text,
            "outcome": "pending",
        }
        versions = [Version(dict(base, updated_at=_date_text(rng, opened)), opened)]
        closed: date | None = None
        fine: int | None = None
        outcome = "pending"
        if rng.random() < 0.7:
            upd = opened + timedelta(days=int(rng.integers(20, 200)))
            if upd.date() <= market.END:
                closed = upd.date()
                outcome = str(
                    pick(rng, ("prosecuted", "convicted", "dropped"))
                    if case_type == "criminal"
                    else pick(rng, ("penalized", "dropped"))
                )
                fine_text, fine = ("", None)
                if outcome in ("penalized", "convicted"):
                    fine_text, fine = _amount(rng, pick(rng, (5000, 20000, 100000, 500000)), money=True)
                row = dict(
                    base,
                    updated_at=_date_text(rng, upd),
                    closed_on=_date_text(rng, upd, with_time=False),
                    outcome=outcome,
                    fine_cny=fine_text,
                )
                versions.append(Version(row, upd))
        out.cases_truth.append(
            {
                "case_id": cid,
                "agency_code": agency_code,
                "region_code": code,
                "opened_date": opened.date(),
                "closed_date": closed,
                "case_type": case_type,
                "suspects": len(names),
                "records_involved": rec,
                "illegal_gain_cny": gain,
                "fine_cny": fine,
                "sites_shut_count": len(set(shut_hosts)),
                "outcome": outcome,
                "versions": len(versions),
            }
        )
        all_versions.append(versions)
    return all_versions


def _csv_bytes(rows: list[dict[str, str]], columns: list[str], encoding: str, crlf: bool) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(
        buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n" if crlf else "\n"
    )
    w.writeheader()
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def _month_key(when: datetime) -> str:
    return f"{when.year}-{when.month:02d}"


def _quarter_key(when: datetime) -> str:
    return market.quarter_label(when.date())


def _end_of(key: str) -> datetime:
    """Export delivery time: three days after the month or quarter closes, 09:00 local."""
    if "Q" in key:
        y, q = int(key[:4]), int(key[-1])
        first_next = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    else:
        y, m = int(key[:4]), int(key[5:7])
        first_next = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    delivered = datetime.combine(first_next, datetime.min.time()) + timedelta(days=3, hours=9)
    # The period still open at the end of the data is exported the day after, as it stands.
    return min(
        delivered, datetime.combine(market.END + timedelta(days=1), datetime.min.time()) + timedelta(hours=9)
    )


def write_incidents(
    rng: np.random.Generator, ledger: FileLedger, versions: list[list[Version]], note
) -> None:
    by_month: dict[str, list[dict[str, str]]] = {}
    for vs in versions:
        for v in vs:
            if v.when.date() <= market.END:
                by_month.setdefault(_month_key(v.when), []).append(v.row)
    months = sorted(by_month)
    for i, key in enumerate(months):
        rows = by_month[key]
        columns = list(INCIDENT_COLUMNS)
        if key < EARLY_EXPORT_END:
            columns.remove("city")  # early exports lack the optional column: null
        if key >= "2026-01":
            columns.append("备注")  # an unknown column: ignored and reported
            rows = [dict(r, 备注="导出") for r in rows]
        encoding = "gb18030" if key == "2026-04" else "utf-8"
        rel = (
            f"incidents/incidents_{key}.csv"
            if encoding == "utf-8"
            else f"incidents/粤_incidents_{key}_gbk.csv"
        )
        if i == 5:
            rows = _with_bad_incident_rows(rows, key, rel, note)
        ledger.write_bytes(rel, _csv_bytes(rows, columns, encoding, crlf=i % 2 == 0), _end_of(key))
        note("incident_file", file=rel, rows=len(rows), encoding=encoding)
        if encoding == "gb18030":
            note("gb18030_file", file=rel)
    # Quarterly full exports overlap the monthly ones (same versions again).
    for q in ("2025Q2", "2026Q1"):
        rows = [
            r for key in months if _quarter_key(datetime.strptime(key, "%Y-%m")) == q for r in by_month[key]
        ]
        rel = f"incidents/incidents_{q}_full_export.csv"
        ledger.write_bytes(
            rel, _csv_bytes(rows, INCIDENT_COLUMNS, "utf-8", crlf=True), _end_of(q) + timedelta(days=4)
        )
        note("overlapping_export", file=rel, rows=len(rows))
    src = f"incidents/incidents_{months[8]}.csv"
    dst = f"incidents/incidents_{months[8]} (1).csv"
    ledger.copy(src, dst, _end_of(months[8]) + timedelta(days=1))
    note("duplicate_file", original=src, copy=dst)


def _with_bad_incident_rows(rows: list[dict[str, str]], key: str, rel: str, note) -> list[dict[str, str]]:
    out = list(rows)
    good = rows[0]
    bad = [
        ("empty_incident_id", dict(good, incident_id="")),
        ("bad_reported_at", dict(good, incident_id=f"INC-BAD-{key}", reported_at="不详")),
        ("bad_reported_at", dict(good, incident_id=f"INC-BAD2-{key}", reported_at="2025-13-45")),
    ]
    for _kind, row in bad:
        out.insert(min(3, len(out)), row)
    for no, row in enumerate(out, start=1):
        for kind, b in bad:
            if row is b:
                note("row_missing_required_field", file=rel, line_no=no + 1, data_row=no, kind=kind)
    return out


def write_cases(rng: np.random.Generator, ledger: FileLedger, versions: list[list[Version]], note) -> None:
    by_q: dict[str, list[dict[str, str]]] = {}
    for vs in versions:
        for v in vs:
            if v.when.date() <= market.END:
                by_q.setdefault(_quarter_key(v.when), []).append(v.row)
    quarters = sorted(by_q)
    for i, q in enumerate(quarters):
        rows = by_q[q]
        encoding = "utf-8-sig" if q == "2026Q1" else "utf-8"
        rel = f"cases/cases_export_{q}.csv"
        if q == "2025Q3":
            rows = _with_bad_case_rows(rows, rel, note)
        ledger.write_bytes(rel, _csv_bytes(rows, CASE_COLUMNS, encoding, crlf=i % 2 == 1), _end_of(q))
        note("case_file", file=rel, rows=len(rows), encoding=encoding)
        if encoding == "utf-8-sig":
            note("bom_file", file=rel)
    # A half-year roll-up overlapping two quarterly exports.
    rows = by_q.get("2025Q3", []) + by_q.get("2025Q4", [])
    rel = "cases/cases_2025H2_rollup.csv"
    ledger.write_bytes(
        rel, _csv_bytes(rows, CASE_COLUMNS, "utf-8", crlf=False), _end_of("2025Q4") + timedelta(days=10)
    )
    note("overlapping_export", file=rel, rows=len(rows))
    # A partial export without the required agency column: rejected whole.
    cols = [c for c in CASE_COLUMNS if c != "agency"]
    rows = by_q.get("2026Q2", [])[:25]
    rel = "cases/cases_partial_2026-05.csv"
    ledger.write_bytes(rel, _csv_bytes(rows, cols, "utf-8", crlf=False), datetime(2026, 6, 2, 10, 0))
    note("rejected_file", file=rel, reason="required column agency missing", rows=len(rows))


def _with_bad_case_rows(rows: list[dict[str, str]], rel: str, note) -> list[dict[str, str]]:
    good = rows[0]
    bad = [
        ("empty_case_id", dict(good, case_id="")),
        ("bad_opened_on", dict(good, case_id="XX-BAD-00001", opened_on="待定")),
    ]
    out = list(rows)
    for _kind, row in bad:
        out.insert(min(2, len(out)), row)
    for no, row in enumerate(out, start=1):
        for kind, b in bad:
            if row is b:
                note("row_missing_required_field", file=rel, line_no=no + 1, data_row=no, kind=kind)
    return out
