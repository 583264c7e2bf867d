"""Demo-data generator (SPEC §10 `waybill-watch generate`): realistic, messy raw files with planted
trends, deterministic for a seed, plus a truth manifest in RAW/_truth/ (docs/generator.md)."""

from waybill_watch.generate.core import GenerateSummary, generate_raw

__all__ = ["GenerateSummary", "generate_raw"]
