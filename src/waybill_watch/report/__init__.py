"""The quarterly trend report (SPEC §7): HTML and PDF from the published analyst database."""

from waybill_watch.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]
