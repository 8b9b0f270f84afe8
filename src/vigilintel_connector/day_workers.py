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

Each worker has a pipe of its own and one day at a time. ``concurrent.futures``'
``ProcessPoolExecutor`` was tried first: its workers share one result queue behind one lock,
and a worker killed while sending its result (the OOM killer) left that lock taken and a
message half-written, so the other workers and the parent waited forever. Here a dead worker
is an end of file on its own pipe, seen at once.
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
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from vigilintel_connector.log import Logger
from vigilintel_connector.outcome import DayResult

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class WorkerLost(Exception):
    """A worker process ended (killed, or crashed) before sending back its day."""


def usable_cpus() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


class Pending:
    """A day handed to a worker: ``result()`` waits for it (``WorkerLost`` if the worker ends
    first)."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self._answer: Any = None
        self._answered = False

    def fetch(self) -> None:
        """Read the worker's answer (waiting for it), so that the worker is free again."""
        if self._answered:
            return
        try:
            self._answer = self._connection.recv()
        except (EOFError, OSError) as exc:
            self._answer = WorkerLost(f"a converting process ended: {exc!r}")
        self._answered = True

    @property
    def answered(self) -> bool:
        return self._answered

    @property
    def lost(self) -> bool:
        """Whether the worker ended instead of answering."""
        return isinstance(self._answer, WorkerLost)

    def result(self) -> DayResult:
        self.fetch()
        if isinstance(self._answer, BaseException):
            raise self._answer
        return self._answer

    def cancel(self) -> bool:
        return False  # the worker is on it; its answer is simply never read


class DayWorkers:
    """Processes that convert days for ``pipeline.process_days``. Each day goes to a worker
    with nothing to do, or else to the first to finish (its answer read first: a worker
    blocked sending a large answer is never sent more, so neither side waits on the other)."""

    def __init__(self, processes: list[multiprocessing.Process], connections: list[Connection]):
        self._processes = processes
        self._connections = connections
        self._busy: dict[int, Pending] = {}  # worker → the day it has not answered yet
        self._lost: set[int] = set()

    @property
    def count(self) -> int:
        return len(self._processes)

    def submit(self, task: Callable[..., DayResult], *args: Any) -> Pending:
        """``task(*args)`` in a free worker; ``WorkerLost`` once one has ended."""
        worker = self._free()
        connection = self._connections[worker]
        try:
            connection.send((task, args))
        except (OSError, ValueError) as exc:  # a broken pipe: the worker is gone
            self._lost.add(worker)
            raise WorkerLost(f"a converting process ended: {exc!r}") from None
        self._busy[worker] = Pending(connection)
        return self._busy[worker]

    def _free(self) -> int:
        while True:
            for worker in range(self.count):
                pending = self._busy.get(worker)
                if pending is not None and (pending.answered or self._connections[worker].poll()):
                    pending.fetch()  # an answer, or the end of a worker that died
                    del self._busy[worker]
                    if pending.lost:
                        self._lost.add(worker)
                if worker in self._lost:
                    raise WorkerLost("a converting process ended")
                if worker not in self._busy:
                    return worker
            wait([self._connections[w] for w in self._busy])

    def close(self) -> None:
        """Stop the workers now, whatever they are converting (the parent is ending)."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(timeout=5)
        for connection in self._connections:
            connection.close()


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
    context = multiprocessing.get_context("fork")
    processes, connections = [], []
    try:
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(theirs, os.getpid(), list(connections)),
                name="vigilintel-day", daemon=True,
            )  # fmt: skip
            process.start()
            theirs.close()  # the worker's end is the worker's alone: its death is our EOF
            processes.append(process)
            connections.append(mine)
    finally:
        gc.unfreeze()
    logger.debug("Days converted in several processes", {"processes": count})
    return DayWorkers(processes, connections)


def _serve(connection: Connection, parent: int, others: list[Connection]) -> None:
    """A worker: one day at a time, until the parent closes its end or goes."""
    _in_worker(parent)
    for other in others:  # the parent's ends of the workers forked before this one
        other.close()
    while True:
        try:
            task, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            found: Any = task(*args)
        except Exception as exc:
            found = exc
        try:
            connection.send(found)
        except Exception as exc:  # it could not be pickled: say so rather than go silent
            connection.send(RuntimeError(f"a day's result could not be sent back: {exc!r}"))


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
