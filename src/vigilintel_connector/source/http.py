"""HTTP access to upstream: polite retries, bounded bodies, no secret leaking to the wrong host."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from vigilintel_connector import __version__

USER_AGENT = f"vigilintel-opencti-connector/{__version__} (+https://github.com/kidrek/VigilIntel)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A file could not be had; ``unreachable``: no HTTP answer at all (DNS, refused, reset);
    ``oversize``: over the size cap, which no retry will change."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        unreachable: bool = False,
        oversize: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.unreachable = unreachable
        self.oversize = oversize


@dataclass(frozen=True)
class HttpPolicy:
    """How hard to try (the settings say how much; see ``VIGILINTEL_HTTP_*``)."""

    retries: int
    backoff_factor: float
    timeout: float
    max_bytes: int
    connect_timeout: float = 10.0  # a host that does not accept within this is not there
    # One download, retries and waits included: a server that drips a byte a second, or asks
    # to be called back tomorrow, costs this much and the file is tried on the next run.
    deadline: float = 40.0
    retry_after_max: float = 60.0  # a longer Retry-After is not waited for


# The deadline of the download under way in this thread (each download runs in one thread).
_CURRENT = threading.local()


class _BoundedRetry(Retry):
    """urllib3's Retry, refusing to wait past the download's deadline or for a ``Retry-After``
    longer than the policy allows (urllib3 alone waits up to six hours per retry)."""

    retry_after_bound: float = 60.0

    def new(self, **kw: Any) -> _BoundedRetry:
        retry = super().new(**kw)
        retry.retry_after_bound = self.retry_after_bound
        return retry

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):  # type: ignore[no-untyped-def]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = retry.get_backoff_time()
        if response is not None and (after := self.get_retry_after(response)) is not None:
            if after > self.retry_after_bound:
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {after:.0f} s"))
            wait = max(wait, after)
        deadline = getattr(_CURRENT, "deadline", None)
        # The next try may wait its whole read timeout: start it only if that ends in time.
        attempt = getattr(_CURRENT, "timeout", 0.0)
        if deadline is not None and time.monotonic() + wait + attempt > deadline:
            raise MaxRetryError(_pool, url, error or ResponseError("deadline reached"))
        return retry


class HttpClient:
    """A requests session whose adapter retries 429/5xx and connection errors with backoff.

    urllib3's ``Retry`` honours ``Retry-After`` on 429/503 and grows the delay exponentially
    otherwise; failures after the last try come back as ``FetchError`` with the cause.
    """

    def __init__(self, policy: HttpPolicy):
        self.policy = policy
        retry = _BoundedRetry(
            total=policy.retries,
            # A host that cannot be resolved or refuses connections rarely recovers within the
            # backoff: one more try, then the caller says so (seconds, not a minute).
            connect=min(policy.retries, 1),
            read=policy.retries,
            status=policy.retries,
            backoff_factor=policy.backoff_factor,
            backoff_max=120,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.retry_after_bound = policy.retry_after_max
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def _timeouts(self, deadline: float) -> tuple[float, float]:
        remaining = max(deadline - time.monotonic(), 0.1)
        read = min(self.policy.timeout, remaining)
        return (min(self.policy.connect_timeout, read), read)

    @contextmanager
    def _deadline(self) -> Iterator[float]:
        deadline = time.monotonic() + self.policy.deadline
        _CURRENT.deadline = deadline
        _CURRENT.timeout = self.policy.timeout
        try:
            yield deadline
        finally:
            _CURRENT.deadline = None

    def get(self, url: str, headers: dict[str, str] | None = None) -> bytes:
        """GET a body within the deadline, refusing it once it exceeds the size cap."""
        limit = self.policy.max_bytes
        with (
            _as_fetch_errors(url),
            self._deadline() as deadline,
            self.session.get(
                url, headers=headers, timeout=self._timeouts(deadline), stream=True
            ) as response,
        ):
            if response.status_code != 200:
                raise FetchError(
                    f"HTTP {response.status_code} for {url}{self._waits(response)}",
                    status=response.status_code,
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError(
                    f"{url} is {declared} bytes, over the {limit}-byte cap", oversize=True
                )
            chunks: list[bytes] = []
            received = 0
            while chunk := response.raw.read1(65536, decode_content=True):
                received += len(chunk)
                if received > limit:
                    raise FetchError(f"{url} exceeds the {limit}-byte cap", oversize=True)
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"{url}: not received within {self.policy.deadline:.0f} s "
                        f"({received} bytes so far); tried again on the next run"
                    )
                chunks.append(chunk)
            return b"".join(chunks)

    def _waits(self, response: requests.Response) -> str:
        after = response.headers.get("Retry-After", "")
        if after.strip().isdigit() and float(after) > self.policy.retry_after_max:
            return (
                f" (it asks to wait {after.strip()} s, over the {self.policy.retry_after_max:.0f}"
                " s this connector waits; tried again on the next run)"
            )
        return ""

    def head(self, url: str) -> int:
        """Availability check: the status code, without downloading the body."""
        with _as_fetch_errors(url), self._deadline() as deadline:
            response = self.session.head(
                url, timeout=self._timeouts(deadline), allow_redirects=True
            )
        return response.status_code


@contextmanager
def _as_fetch_errors(url: str) -> Iterator[None]:
    """requests' exceptions, after urllib3's retries, as one FetchError saying why."""
    try:
        yield
    except requests.exceptions.RetryError as exc:
        raise FetchError(f"{url}: gave up after retries ({_cause(exc)})") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise FetchError(f"{url}: {_cause(exc)}", unreachable=True) from None
    except requests.exceptions.RequestException as exc:
        raise FetchError(f"{url}: {_cause(exc)}") from None
    except HTTPError as exc:  # while reading the body: a timeout, a reset, a broken encoding
        raise FetchError(f"{url}: {_cause(exc)}") from None


def _cause(exc: BaseException) -> str:
    """The innermost reason, short: 'Read timed out', 'Connection refused', 'too many 500'."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    return text if len(text) < 300 else text[:300] + "…"
