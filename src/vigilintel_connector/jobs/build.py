"""The pieces both jobs are built from, made from the settings: the source and the day options.

This is the only place where settings become objects, so the layers below never read settings.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

from vigilintel_connector.log import Logger
from vigilintel_connector.pipeline import DayOptions
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.http import HttpClient, HttpPolicy
from vigilintel_connector.source.upstream import DirectoryUpstream, HttpUpstream, Upstream


class ExitCode(IntEnum):
    OK = 0
    UNREACHABLE = 1  # the source (export) or the platform (run) could not be used
    CONFIG = 2  # a setting or an argument is wrong: the message names it
    OUTPUT = 3  # the export could not write its directory (full, read-only, permission)
    INTERNAL = 70  # an unexpected error: one line, and the traceback in a log file
    INTERRUPTED = 130  # Ctrl-C (SIGINT): stopped after the current write
    TERMINATED = 143  # SIGTERM: the same


class Stopped(BaseException):
    """SIGTERM: stop like Ctrl-C (past every ``except Exception``), with the exit status a killed
    process would have."""

    code = ExitCode.TERMINATED


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Stopped`` in the main thread."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM wait for its end, then stop as they would have: a
    day is written and recorded together, or not at all."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if signal.SIGTERM in caught:
        raise Stopped()
    if caught:
        raise KeyboardInterrupt


def http_policy(settings: Settings) -> HttpPolicy:
    vi = settings.vigilintel
    return HttpPolicy(
        retries=vi.http_retries,
        backoff_factor=vi.http_backoff_factor,
        timeout=vi.http_timeout,
        max_bytes=vi.max_file_bytes,
        deadline=vi.http_deadline,
        retry_after_max=vi.http_retry_after_max,
    )


def build_upstream(settings: Settings, logger: Logger) -> Upstream:
    vi = settings.vigilintel
    if vi.source_is_directory:
        return DirectoryUpstream(Path(vi.source), vi.max_file_bytes)
    token = vi.github_token.get_secret_value() if vi.github_token else None
    client = HttpClient(http_policy(settings))
    return HttpUpstream(vi.source, str(vi.listing_url), client, logger, token)


def day_options(settings: Settings) -> DayOptions:
    vi = settings.vigilintel
    return DayOptions(vi.languages, vi.artefacts, vi.excluded_host_set, vi.confidence)
