"""Deliver to a directory: one bundle file per imported day and a machine-readable summary."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vigilintel_connector.clock import iso_utc, now_utc
from vigilintel_connector.outcome import DayResult
from vigilintel_connector.source.documents import strict_json


class OutputError(Exception):
    """A file of the export could not be written (disk full, read-only, permission)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a file, and no temporary file is left, whatever stops it."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(Path(exc.filename or path), exc.strerror or str(exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_day(out_dir: Path, result: DayResult) -> None:
    """``DIR/<day>.json``, or ``DIR/digests/<period>.json`` for a digest."""
    if result.output is None:
        return
    # Written as serialised once by the normaliser: compact (pretty-print with ``jq``).
    payload = result.output.payload
    if result.period is not None:
        try:
            (out_dir / "digests").mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(out_dir / "digests", exc.strerror or str(exc)) from None
        target = out_dir / "digests" / f"{result.period.key}.json"
    else:
        target = out_dir / f"{result.day.isoformat()}.json"
    _write_atomically(target, payload)


def digests_of(results: Iterable[DayResult]) -> list[dict[str, Any]]:
    return [summary_entry(r) for r in results]


def bundles_in(out_dir: Path) -> list[str]:
    """The bundle files in an export directory, as paths relative to it."""
    found = [p.name for p in out_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json")]
    found += [f"digests/{p.name}" for p in (out_dir / "digests").glob("*.json")]
    return found


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
        "language_fallback": result.output.fallback_language if result.output else None,
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
    interrupted: bool = False,
) -> dict[str, Any]:
    """``summary.json``: every day and digest of this export; ``earlier`` lists the bundles of
    an earlier export left in the directory, which this one did not write."""
    days = [summary_entry(r) for r in sorted(results, key=lambda r: r.day)]
    periods = digests_of(digests)
    ours = {f"{d['date']}.json" for d in days if d["status"] == "imported"}
    ours |= {f"digests/{d['period']}.json" for d in periods if d["status"] == "imported"}
    summary = {
        "generated_at": iso_utc(now_utc()),
        "source": source,
        "language": language,
        "interrupted": interrupted,
        "days": days,
        "digests": periods,
        "earlier": sorted(p for p in bundles_in(out_dir) if p not in ours),
    }
    _write_atomically(out_dir / "summary.json", strict_json(summary, indent=2).encode())
    return summary
