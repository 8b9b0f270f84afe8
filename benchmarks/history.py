"""History-sized benchmark: memory against the range, time against the floor, a full backfill.

The sample hides what a year of days costs, so this case runs on a history: a clone of upstream
(``--history DIR``), or by default a synthetic one, the sample's days laid in turn over
consecutive dates from upstream's first day (every naming era and layout, repeated). It prints:

- the export's peak memory (all its processes) for the first 30, 120 and all days (flat if
  memory does not grow with the range), each a fresh process;
- the export's wall time against the floor measured in the same run over the same files:
  reading every file, ``json.loads`` of the JSON and cmark-gfm's render of the Markdown (the
  best of three: on a shared machine one measure of it varies by a third);
- the Markdown-only days' rate end to end (read, convert, normalise, serialise), with the
  connector's worker processes, and in one process;
- the connector's peak memory (all its processes) on a full backfill into a local RabbitMQ
  (``run`` with run-and-terminate, through the stand-in OpenCTI API).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = dt.date(2025, 4, 30)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAILY = re.compile(r"^(\d{4})/(\d{2})/(\d{4}-\d{2}-\d{2})-[^/]+$")


def synthetic_history(sample: Path, target: Path, days: int) -> tuple[dt.date, dt.date]:
    """The sample's days copied over ``days`` consecutive dates (paths re-dated, contents as
    published); its digests are left out (they belong to their own periods)."""
    by_day: dict[str, list[Path]] = {}
    for path in sorted(sample.rglob("*")):
        relative = path.relative_to(sample).as_posix()
        match = _DAILY.match(relative)
        if path.is_file() and match:
            by_day.setdefault(match.group(3), []).append(path)
    originals = sorted(by_day)
    for index in range(days):
        date = FIRST_DAY + dt.timedelta(days=index)
        for path in by_day[originals[index % len(originals)]]:
            name = _DATE.sub(date.isoformat(), path.name, count=1)
            copy = target / f"{date:%Y}" / f"{date:%m}" / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
    return FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1)


def _daily_files(source: Path, since: dt.date, until: dt.date) -> list[Path]:
    found = []
    for path in source.rglob("*"):
        match = _DAILY.match(path.relative_to(source).as_posix())
        if match and since <= dt.date.fromisoformat(match.group(3)) <= until:
            found.append(path)
    return sorted(found)


def floor_seconds(files: list[Path]) -> float:
    """What any import must do at least: read each file, parse the JSON, render the Markdown
    (cmark-gfm, through the connector's own binding: cmarkgfm's wrapper leaks every page)."""
    from vigilintel_connector import cmark

    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".md":
            text = data.decode("utf-8", "replace")
            with cmark.parsed(text, cmark.UNSAFE) as document:
                document.html()
        else:
            with contextlib.suppress(ValueError):
                json.loads(data)
    return time.perf_counter() - started


def _tree(pid: int) -> list[int]:
    """A process and its descendants (the connector's worker processes)."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += _tree(int(child))
    return found


def _field(path: str, name: str) -> int:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(path).read_text().split(f"{name}:")[1].split()[0])
    return 0


def _measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, peak memory of the whole process tree and of its largest process (MB),
    and the exit status of one child process.

    The tree's memory is the sum of its processes' proportional set sizes (``Pss``): pages a
    worker shares with the parent that forked it count once, as they do in a container's
    memory limit. The largest process's is its own high-water mark (``VmHWM``). Both are read
    until the command exits (the rusage of a forked child also counts the parent's pages it
    held before ``exec``)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT)  # fmt: skip
    total = largest = 0
    while process.poll() is None:
        pids = _tree(process.pid)
        total = max(total, sum(_field(f"/proc/{p}/smaps_rollup", "Pss") for p in pids))
        largest = max([largest, *(_field(f"/proc/{p}/status", "VmHWM") for p in pids)])
        time.sleep(0.05)
    return time.perf_counter() - started, total / 1024, largest / 1024, process.returncode


def bench_exports(source: Path, since: dt.date, until: dt.date, work: Path, row: Callable) -> None:
    total = (until - since).days + 1
    for days in sorted({min(30, total), min(120, total), total}):
        last = since + dt.timedelta(days=days - 1)
        out = work / f"history-export-{days}"
        env = {**_clean_env(), "VIGILINTEL_SOURCE": str(source)}
        command = [str(ROOT / ".venv/bin/vigilintel-connector"), "export", "--out", str(out),
                   "--since", since.isoformat(), "--until", last.isoformat()]  # fmt: skip
        _, peak, largest, code = _measured(command, env)
        if code != 0:
            raise RuntimeError(f"export of {days} days exited with {code}")
        # Timed in a run of its own: reading every process's memory 20 times a second takes
        # a share of the two cores, and made the export look a fifth slower than it is.
        shutil.rmtree(out)
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=ROOT, check=True)  # fmt: skip
        seconds = time.perf_counter() - started
        files = _daily_files(source, since, last)
        floor = min(floor_seconds(files) for _ in range(3))  # the machine's noise is ±30%
        verdict = "meets" if seconds <= 10 * floor else "MISSES"
        row(f"export, {days} days: wall time", f"{seconds:.1f} s",
            f"{seconds / floor:.1f}x floor {floor:.2f} s ({verdict} <= 10x)")  # fmt: skip
        row(f"export, {days} days: peak memory, all processes", f"{peak:.0f} MB",
            "meets < 250 MB" if peak < 250 else "MISSES < 250 MB")  # fmt: skip
        row("  largest process", f"{largest:.0f} MB")


def bench_markdown_days(source: Path, since: dt.date, until: dt.date, row: Callable) -> None:
    """Days whose only report is the Markdown one, through the whole pipeline, measured in a
    fresh process (this one runs threads by now, from which no worker may be forked)."""
    env = {**_clean_env(), "VIGILINTEL_SOURCE": str(source)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.history", "--markdown-days", str(source),
         since.isoformat(), until.isoformat()],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    if not found["days"]:
        return
    rate, alone = found["mb"] / found["together"], found["mb"] / found["alone"]
    row(f"Markdown-only days ({found['days']}, {found['mb']:.1f} MB), end to end, "
        f"{found['processes']}", f"{rate:.1f} MB/s",
        "meets >= 5 MB/s" if rate >= 5 else "MISSES >= 5 MB/s")  # fmt: skip
    row("  in one process, one day after another", f"{alone:.1f} MB/s")


def _markdown_days(
    source: Path, since: dt.date, until: dt.date, every: int = 1, workers: bool = True
) -> dict[str, object]:
    """Seconds for the Markdown-only days (every ``every``-th of them): through ``process_days``
    with the configured worker processes, as the connector runs them, then in this process one
    day after another. Without ``workers``, only the second: a run whose instructions valgrind
    can count (see docs/performance.md, "Comparing two versions")."""
    from vigilintel_connector.day_workers import load_catalogs, start_workers
    from vigilintel_connector.jobs.build import build_upstream, day_options
    from vigilintel_connector.log import StdLogger
    from vigilintel_connector.pipeline import process_day, process_days
    from vigilintel_connector.settings import load_settings

    settings = load_settings(None)
    logger = StdLogger(level="error")
    upstream = build_upstream(settings, logger)
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    listing = upstream.list_files(days)
    options = day_options(settings)
    markdown_only = [
        d for d in days
        if (names := [f.file.path for f in listing.for_day(d)])
        and all(name.endswith(".md") for name in names)
    ][::every]  # fmt: skip
    size = sum((source / f.file.path).stat().st_size for d in markdown_only
               for f in listing.for_day(d))  # fmt: skip
    found: dict[str, object] = {"days": len(markdown_only), "mb": size / 1e6}
    if workers:
        pool = start_workers(settings.vigilintel.workers, logger)  # loads the catalogs too
        try:
            started = time.perf_counter()
            for result in process_days(
                markdown_only, listing, upstream.fetch, options, logger, workers=pool
            ):
                assert result.output is None or result.output.payload
            found["together"] = time.perf_counter() - started
        finally:
            if pool is not None:
                pool.close()
        found["processes"] = f"{pool.count} worker processes" if pool else "one process"
    load_catalogs()
    started = time.perf_counter()
    for day in markdown_only:
        result = process_day(day, listing.for_day(day), upstream.fetch, options)
        assert result.output is None or result.output.payload
    found["alone"] = time.perf_counter() - started
    return found


def bench_backfill(source: Path, since: dt.date, work: Path, row: Callable) -> None:
    """``run`` from ``since`` to today into a private RabbitMQ, through the stand-in API."""
    from benchmarks.standin import local_platform

    with local_platform(work / "rabbitmq-history") as (_, port):
        env = {
            **_clean_env(),
            "OPENCTI_URL": f"http://127.0.0.1:{port}",
            "OPENCTI_TOKEN": "benchmark",
            "CONNECTOR_ID": str(uuid.uuid4()),
            "CONNECTOR_RUN_AND_TERMINATE": "true",
            "CONNECTOR_LOG_LEVEL": "error",
            "VIGILINTEL_SOURCE": str(source),
            "VIGILINTEL_START_DATE": since.isoformat(),
        }
        seconds, peak, largest, code = _measured(
            [str(ROOT / ".venv/bin/vigilintel-connector"), "run"], env
        )
    if code != 0:
        raise RuntimeError(f"run exited with {code}")
    row(f"run, full backfill from {since} into RabbitMQ: peak memory, all processes",
        f"{peak:.0f} MB", "meets < 300 MB" if peak < 300 else "MISSES < 300 MB")  # fmt: skip
    row("  largest process", f"{largest:.0f} MB")
    row("  wall time", f"{seconds:.1f} s")


def _clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items()
        if not k.startswith(("OPENCTI_", "CONNECTOR_", "VIGILINTEL_"))
    }  # fmt: skip


def bench_history(sample: Path, history: Path | None, work: Path, row: Callable) -> None:
    if history is None:
        history = work / "synthetic-history"
        since, until = synthetic_history(sample, history, 460)
        what = f"synthetic: the sample's days over 460 dates from {since}"
    else:
        days = sorted(d for p in _daily_files(history, FIRST_DAY, dt.date.today())
                      if (d := dt.date.fromisoformat(_DAILY.match(
                          p.relative_to(history).as_posix()).group(3))))  # fmt: skip
        since, until = days[0], days[-1]
        what = f"{history} ({since} … {until})"
    print(f"\nHistory: {what}", file=sys.stderr)
    bench_exports(history, since, until, work, row)
    bench_markdown_days(history, since, until, row)
    bench_backfill(history, since, work, row)


# python -m benchmarks.history --markdown-days SOURCE SINCE UNTIL [--one-process [EVERY]]
if __name__ == "__main__" and sys.argv[1:2] == ["--markdown-days"]:
    _source, _since, _until = Path(sys.argv[2]), *map(dt.date.fromisoformat, sys.argv[3:5])
    os.environ["VIGILINTEL_SOURCE"] = str(_source)
    _alone = sys.argv[5:6] == ["--one-process"]
    _every = int(sys.argv[6]) if _alone and len(sys.argv) > 6 else 1
    print(json.dumps(_markdown_days(_source, _since, _until, _every, workers=not _alone)))
