"""Days converted on more than one core, by processes that share the parent's catalogs.

Conversion is pure-Python CPU work, which one process runs on one core at a time. A worker
started from scratch would load its own copy of the catalogs (about 130 MB); a worker *forked*
once they are loaded shares their memory pages with its parent, and ``gc.freeze`` keeps its
garbage collector from writing to (and so copying) them. Each worker then costs what it
converts (about 50 MB), not a second copy of everything. The parent only reads, writes and
sends: converting there too was slower, as its thread then fought the others for the
interpreter.

Forking is only safe while the parent runs a single thread: a lock that another thread holds
at that instant stays locked forever in the child. So the jobs start the workers before any
download thread or the OpenCTI helper exists; where that cannot be had, or where the machine
has one core, days are converted in the parent alone, as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from vigilintel_connector.log import Logger
from vigilintel_connector.outcome import DayResult

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def usable_cpus() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


class DayWorkers:
    """Processes that convert days for ``pipeline.process_days``."""

    def __init__(self, pool: ProcessPoolExecutor, processes: list[multiprocessing.Process]):
        self._pool = pool
        self._processes = processes

    @property
    def count(self) -> int:
        return len(self._processes)

    def submit(self, task: object, *args: object) -> Future[DayResult]:
        """``task(*args)`` in a worker; raises ``BrokenProcessPool`` once a worker has died."""
        return self._pool.submit(task, *args)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop the workers now, whatever they are converting (the parent is ending), and
        the pool's own thread with them."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


def start_workers(workers: int, logger: Logger) -> DayWorkers | None:
    """Converting processes forked from this one, as many as asked and no more than the
    cores; or None where this process converts alone: one worker asked for, one core, no
    ``fork`` on this system, or threads already running (forking them is not safe)."""
    count = min(workers, usable_cpus())
    if count < 2:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        logger.debug("Days converted in one process: this system cannot fork")
        return None
    if threading.active_count() > 1:
        logger.debug("Days converted in one process: threads are already running")
        return None
    load_catalogs()
    gc.collect()
    gc.freeze()  # what exists now, the workers never scan (the parent unfreezes it below)
    try:
        pool = ProcessPoolExecutor(
            count,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_in_worker,
            initargs=(os.getpid(),),
        )
        before = set(multiprocessing.active_children())
        pool.submit(os.getpid).result()  # a forking pool starts all its workers at once
        processes = [p for p in multiprocessing.active_children() if p not in before]
    finally:
        gc.unfreeze()
    logger.debug("Days converted in several processes", {"processes": count})
    return DayWorkers(pool, processes)


def _in_worker(parent: int) -> None:
    """Ctrl-C reaches the whole process group: only the parent decides what stops, and a
    SIGTERM ends a worker at once (the parent's handler, which finishes the day, is not for
    it). A parent killed outright (SIGKILL, the OOM killer) takes its workers with it: left
    alone they would wait for work forever, holding copies of the parent's sockets."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # a libc without it: no guard
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that was set
        os._exit(1)


def load_catalogs() -> None:
    """Every catalog and table the conversion reads, loaded now rather than on first use,
    by asking one question of each: a worker forked afterwards loads nothing of its own."""
    from vigilintel_connector.normalise import ids, observables
    from vigilintel_connector.resolve import (
        attack,
        curated,
        entities,
        index,
        names,
        places,
        sectors,
        warninglists,
    )

    ids.author(0)
    observables.check_domain("example.com")
    attack.technique("T1059")
    attack.technique_named("Phishing")
    attack.is_revoked("T1086")
    curated.curated()
    for clusters in (index.GROUPS, index.FAMILIES, index.MITRE_TOOLS, index.GENERIC_TOOLS):
        index.table(clusters)
    entities.resolve("intrusion-set", "APT28", [])
    index.entries_named("Emotet")
    names.read_name("APT28")
    names.nationality_or_country("iranien")
    places.places_in("Paris, France", nationalities=True)
    places.places_in("Paris, France", nationalities=False)
    places.demonym_forms()
    sectors.sectors_in("banking")
    warninglists.benign_list("domain-name", "example.com")
    warninglists.popular("example.com")
