"""Deliver to a directory: one bundle file per imported day and a machine-readable summary."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vigilintel_connector.clock import iso_utc, now_utc
from vigilintel_connector.outcome import DayResult
from vigilintel_connector.source.documents import strict_json


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a file, even if the export is interrupted."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_day(out_dir: Path, result: DayResult) -> None:
    """``DIR/<day>.json``, or ``DIR/digests/<period>.json`` for a digest."""
    if result.output is None:
        return
    # Written as serialised once by the normaliser: compact (pretty-print with ``jq``).
    payload = result.output.payload
    if result.period is not None:
        (out_dir / "digests").mkdir(exist_ok=True)
        target = out_dir / "digests" / f"{result.period.key}.json"
    else:
        target = out_dir / f"{result.day.isoformat()}.json"
    _write_atomically(target, payload.encode())


def summary_entry(result: DayResult) -> dict[str, Any]:
    period = {"period": result.period.key} if result.period is not None else {}
    return {
        **period,
        "date": result.day.isoformat(),
        "status": str(result.outcome),
        "files": result.paths,
        "format": result.format,
        "artefacts": result.artefacts,
        "objects": result.objects,
        "provenance": dict(sorted(result.output.provenance.items())) if result.output else {},
        **result.tally.as_dict(),
        "unrecognised": result.unrecognised,
        "warnings": result.warnings,
        "message": result.message,
    }


def write_summary(
    out_dir: Path,
    results: Iterable[DayResult],
    source: str,
    language: str,
    digests: Iterable[DayResult] = (),
) -> dict[str, Any]:
    summary = {
        "generated_at": iso_utc(now_utc()),
        "source": source,
        "language": language,
        "days": [summary_entry(r) for r in sorted(results, key=lambda r: r.day)],
        "digests": [summary_entry(r) for r in digests],
    }
    _write_atomically(out_dir / "summary.json", strict_json(summary, indent=2).encode())
    return summary
