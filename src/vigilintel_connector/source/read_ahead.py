"""Files downloaded ahead of the day being converted, bounded by bytes as well as by days.

A backfill reads every file of every day; downloading the next days while one is converted
hides the network's latency. How far ahead is bounded twice: by a count of days (the caller's
window) and by the bytes held, those downloaded and not read yet plus those still in flight
(each counted as large as the largest file seen). Past ``max_bytes``, only the next day is
started, so memory holds a few days' files whatever the range and the files' sizes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class ReadAhead:
    def __init__(self, fetch: Callable[[str], bytes], pool: ThreadPoolExecutor, max_bytes: int):
        self._fetch = fetch
        self._pool = pool
        self._max_bytes = max_bytes
        self._started: dict[str, Future[bytes]] = {}
        self._lock = threading.Lock()
        self._held = 0  # downloaded, not read yet
        self._in_flight = 0
        self._largest = 0

    def has_room(self) -> bool:
        with self._lock:
            return self._held + self._in_flight * self._largest < self._max_bytes

    def start(self, path: str) -> None:
        with self._lock:
            self._in_flight += 1
            self._started[path] = self._pool.submit(self._download, path)

    def take(self, path: str) -> bytes:
        """The file, from its download ahead if one was started (a failed download raises
        here, as a fetch would), else fetched now."""
        with self._lock:
            future = self._started.pop(path, None)
        if future is None:
            return self._fetch(path)
        content = future.result()
        with self._lock:
            self._held -= len(content)
        return content

    def let_go(self, path: str) -> None:
        """A file its day did not need (an unused language, a duplicate)."""
        with self._lock:
            future = self._started.pop(path, None)
        if future is None:
            return
        if future.cancel():  # never started
            with self._lock:
                self._in_flight -= 1
        else:
            future.add_done_callback(self._release)

    def _download(self, path: str) -> bytes:
        try:
            content = self._fetch(path)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self._held += len(content)
            self._largest = max(self._largest, len(content))
        return content

    def _release(self, future: Future[bytes]) -> None:
        if not future.cancelled() and future.exception() is None:
            with self._lock:
                self._held -= len(future.result())
