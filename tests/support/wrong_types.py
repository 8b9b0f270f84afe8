"""Every key of every JSON file of one sample day or digest given values of the wrong type.

``python -m tests.support.wrong_types 2026-06-01`` (or a digest: ``2026-05-w1``, ``2026-05``)
copies that day's files from the sample, then, for each key found anywhere in each JSON file
and each wrong value below, sets that key everywhere in the file and converts the day in this
process. It prints each case that is not imported as it should be (an exception, an internal
error, a day in error) and the number of cases: upstream is LLM-generated, and one wrong value
must cost that value, never the day. ``tests/test_malformed.py`` keeps the main cases.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from vigilintel_connector.digests import process_digest
from vigilintel_connector.outcome import DayResult
from vigilintel_connector.pipeline import DayOptions, process_day
from vigilintel_connector.source.periods import parse_digest_path
from vigilintel_connector.source.upstream import DirectoryUpstream

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "vigilintel-sample"
WRONG: list[object] = [["x"], {"a": 1}, 123, None, [123], [None], [{"a": 1}], True]
OPTIONS = DayOptions(("fr",), ("stix", "json", "markdown"))


def with_everywhere(node: object, key: str, value: object) -> object:
    """``node`` with every ``key`` of every mapping in it set to ``value``."""
    if isinstance(node, dict):
        return {
            k: copy.deepcopy(value) if k == key else with_everywhere(v, key, value)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [with_everywhere(v, key, value) for v in node]
    return node


def _keys(node: object, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            found.add(k)
            _keys(v, found)
    elif isinstance(node, list):
        for v in node:
            _keys(v, found)
    return found


def _converter(root: Path, name: str) -> Callable[[], DayResult]:
    upstream = DirectoryUpstream(root, 1 << 30)
    digest = parse_digest_path(f"{name[:4]}/{name[5:7]}/{name}-report.md")
    if digest is not None:
        period = digest.period
        return lambda: process_digest(
            period,
            upstream.list_files([period.end]).for_period(period),
            upstream.fetch,
            OPTIONS,
            dt.date(2999, 1, 1),
            3,
            rolling=True,
        )
    day = dt.date.fromisoformat(name)
    return lambda: process_day(
        day, upstream.list_files([day]).for_day(day), upstream.fetch, OPTIONS
    )


def probe(name: str) -> tuple[int, int]:
    """The cases tried and those that went wrong for the day or digest ``name``; each of the
    latter is printed."""
    month = f"{name[:4]}/{name[5:7]}"
    tried = wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / month).mkdir(parents=True)
        for path in (SAMPLE / month).glob(f"{name}-*"):
            shutil.copy(path, root / month / path.name)
        convert = _converter(root, name)
        for path in sorted((root / month).glob("*.json")):
            original = path.read_text(encoding="utf-8")
            try:
                document = json.loads(original)
            except ValueError:
                continue  # fenced or broken as published: not this probe's concern
            for key in sorted(_keys(document, set())):
                for value in WRONG:
                    tried += 1
                    path.write_text(json.dumps(with_everywhere(document, key, value)))
                    try:
                        result = convert()
                        failed = str(result.outcome) == "error" or "internal" in result.message
                        said = result.message
                    except Exception as exc:  # what the probe is looking for
                        failed, said = True, repr(exc)
                    if failed:
                        wrong += 1
                        print(f"{path.name} {key}={value!r}: {said[:160]}", flush=True)
            path.write_text(original, encoding="utf-8")
    return tried, wrong


if __name__ == "__main__":
    names = sys.argv[1:] or ["2026-06-01"]
    counts = [probe(name) for name in names]
    failures = sum(wrong for _, wrong in counts)
    print(f"{failures} of {sum(tried for tried, _ in counts)} cases went wrong")
    sys.exit(1 if failures else 0)
