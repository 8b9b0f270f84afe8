"""Days converted by forked worker processes: the same bundles, a dead worker costs only its
days, and the workers share the parent's catalogs instead of loading their own."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from vigilintel_connector import day_workers
from vigilintel_connector.day_workers import start_workers
from vigilintel_connector.digests import process_digests
from vigilintel_connector.jobs.build import build_upstream, day_options
from vigilintel_connector.log import StdLogger
from vigilintel_connector.outcome import DayOutcome
from vigilintel_connector.pipeline import process_days
from vigilintel_connector.settings import load_settings
from vigilintel_connector.source.periods import periods_between

FIRST, LAST = dt.date(2026, 1, 24), dt.date(2026, 2, 12)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


@pytest.fixture
def two_cores(monkeypatch):
    """Two workers, even on a one-core machine (where the connector would not fork)."""
    monkeypatch.setattr(day_workers, "usable_cpus", lambda: 2)


@pytest.fixture
def forkable(two_cores, monkeypatch):
    """Workers despite the idle threads earlier tests' servers leave behind (blocked reading
    their sockets, nothing a worker touches); the refusal itself is tested below."""
    monkeypatch.setattr(day_workers.threading, "active_count", lambda: 1)


def _process(sample_dir: Path, monkeypatch, workers=None):
    monkeypatch.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    settings = load_settings()
    logger = StdLogger(level="critical")
    upstream = build_upstream(settings, logger)
    listing = upstream.list_files(DAYS, probe_periods=[])
    options = day_options(settings)
    return process_days(DAYS, listing, upstream.fetch, options, logger, workers=workers)


def _results(sample_dir: Path, monkeypatch, workers=None):
    return {r.day: r for r in _process(sample_dir, monkeypatch, workers)}


def test_workers_send_the_very_bundles_one_process_makes(sample_dir, monkeypatch, forkable):
    alone = _results(sample_dir, monkeypatch)
    workers = start_workers(2, StdLogger(level="critical"))
    assert workers is not None and workers.count == 2
    try:
        assert {os.getpid()} != {p.pid for p in workers._processes}
        forked = _results(sample_dir, monkeypatch, workers)
    finally:
        workers.close()
    assert sum(r.outcome is DayOutcome.IMPORTED for r in alone.values()) == 11
    assert list(forked) == DAYS  # in date order, every day once
    for day, result in alone.items():
        assert forked[day].outcome == result.outcome
        assert forked[day].message == result.message
        if result.output:
            assert forked[day].output.payload == result.output.payload
            assert forked[day].objects == result.objects > 0


def test_a_worker_killed_mid_run_costs_its_days_not_the_run(sample_dir, monkeypatch, forkable):
    alone = _results(sample_dir, monkeypatch)
    workers = start_workers(2, StdLogger(level="critical"))
    assert workers is not None, threading.enumerate()
    results = {}
    try:
        for result in _process(sample_dir, monkeypatch, workers):
            if not results:  # as the kernel's OOM killer would, while days are in flight
                os.kill(workers._processes[0].pid, signal.SIGKILL)
            results[result.day] = result
    finally:
        workers.close()
    assert list(results) == DAYS  # no wait for an answer that never comes
    failed = [r for r in results.values() if r.outcome is DayOutcome.ERROR]
    assert len(failed) <= 1  # the day it held, if it held one, waits for the next run
    assert all("internal error" in r.message for r in failed)
    for day, result in results.items():  # the others, converted here once it was gone
        if result not in failed:
            assert (result.outcome, result.message) == (alone[day].outcome, alone[day].message)


def _digests(sample_dir: Path, monkeypatch, workers=None, kill=False):
    monkeypatch.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    settings = load_settings()
    upstream = build_upstream(settings, StdLogger(level="critical"))
    first, last = dt.date(2026, 4, 1), dt.date(2026, 8, 8)
    periods = periods_between(first, last, ("weekly", "monthly"))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    listing = upstream.list_files(days, probe_periods=periods)
    wanted = [(p, files) for p in periods if (files := listing.for_period(p))]
    found = {}
    for period, result in process_digests(
        wanted, upstream.fetch, day_options(settings), dt.date(2026, 8, 9), 3, workers
    ):
        if kill and not found:
            os.kill(workers._processes[0].pid, signal.SIGKILL)
        found[period.key] = result
    return found


def test_digests_are_converted_by_the_workers_as_by_one_process(sample_dir, monkeypatch, forkable):
    """The export's digests go to the workers too: the same bundles, in period order; a worker
    killed on the way costs at most the digest it held."""
    alone = _digests(sample_dir, monkeypatch)
    assert sum(r.outcome is DayOutcome.IMPORTED for r in alone.values()) == 5
    for kill in (False, True):
        workers = start_workers(2, StdLogger(level="critical"))
        assert workers is not None
        try:
            forked = _digests(sample_dir, monkeypatch, workers, kill)
        finally:
            workers.close()
        assert list(forked) == list(alone)
        failed = [k for k, r in forked.items() if r.outcome is DayOutcome.ERROR]
        assert len(failed) <= (1 if kill else 0)
        for key, result in alone.items():
            if key not in failed:
                assert forked[key].message == result.message
                assert forked[key].output.payload == result.output.payload


def test_no_worker_is_forked_from_a_threaded_process_or_for_one_worker(two_cores):
    logger = StdLogger(level="critical")
    assert start_workers(1, logger) is None
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert start_workers(2, logger) is None  # a lock held by that thread would never open
    finally:
        stop.set()
        thread.join()


def test_catalogs_loaded_before_forking_leave_a_worker_nothing_to_load(sample_dir, tmp_path):
    """Every catalog a day's conversion reads is loaded by ``load_catalogs``: a worker that
    loaded one on first use would hold a private copy of it (tens of MB per worker). Run in a
    fresh interpreter, where nothing else has loaded them."""
    script = tmp_path / "check.py"
    script.write_text(
        "import datetime as dt, functools, importlib, pkgutil, sys\n"
        "import vigilintel_connector as package\n"
        "from vigilintel_connector.day_workers import load_catalogs\n"
        "from vigilintel_connector.jobs.build import build_upstream, day_options\n"
        "from vigilintel_connector.log import StdLogger\n"
        "from vigilintel_connector.pipeline import process_day\n"
        "from vigilintel_connector.settings import load_settings\n"
        "caches = {}\n"
        "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    if module.name.endswith('__main__'):\n"
        "        continue\n"
        "    for name, value in vars(importlib.import_module(module.name)).items():\n"
        "        info = getattr(value, 'cache_info', None)\n"
        "        if info and (info().maxsize or 0) <= 16:  # catalogs, not memos of texts\n"
        "            caches[f'{module.name}.{name}'] = value\n"
        "load_catalogs()\n"
        "before = {k: f.cache_info().currsize for k, f in caches.items()}\n"
        "settings = load_settings()\n"
        "upstream = build_upstream(settings, StdLogger(level='critical'))\n"
        "days = [dt.date(2025, 4, 30) + dt.timedelta(days=i) for i in range(500)]\n"
        "listing = upstream.list_files(days, probe_periods=[])\n"
        "for day in days:\n"
        "    if listing.for_day(day):\n"
        "        process_day(day, listing.for_day(day), upstream.fetch, day_options(settings))\n"
        "after = {k: f.cache_info().currsize for k, f in caches.items()}\n"
        "grew = sorted(k for k in caches if after[k] > before[k])\n"
        "print(len(caches), grew)\n"
        "sys.exit(1 if grew or len(caches) < 15 else 0)\n"
    )
    env = {**os.environ, "VIGILINTEL_SOURCE": str(sample_dir), "VIGILINTEL_LANGUAGE": "fr,en"}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_a_parent_killed_outright(sample_dir, tmp_path):
    """SIGKILL (or the OOM killer) gives the parent no chance to stop its workers: the kernel
    ends them, instead of leaving them to wait for work forever with the parent's sockets."""
    env = {**os.environ, "VIGILINTEL_SOURCE": str(sample_dir), "VIGILINTEL_WORKERS": "2"}
    command = [sys.executable, "-m", "vigilintel_connector", "export", "--out", str(tmp_path),
               "--since", "2025-11-14", "--until", "2026-08-08"]  # fmt: skip
    parent = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        workers: set[int] = set()
        for _ in range(300):
            if parent.poll() is not None:
                break
            workers = _children(parent.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.05)
        assert len(workers) >= 2, "the export never started its workers"
        parent.kill()
        parent.wait()
        for _ in range(100):
            if not any(_alive(pid) for pid in workers):
                break
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        if parent.poll() is None:
            parent.kill()
