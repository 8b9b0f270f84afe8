"""HTTP access to upstream: polite retries, bounded bodies, no secret leaking to the wrong host."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
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


class HttpClient:
    """A requests session whose adapter retries 429/5xx and connection errors with backoff.

    urllib3's ``Retry`` honours ``Retry-After`` on 429/503 and grows the delay exponentially
    otherwise; failures after the last try come back as ``FetchError`` with the cause.
    """

    def __init__(self, policy: HttpPolicy):
        self.policy = policy
        retry = Retry(
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
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def _timeouts(self) -> tuple[float, float]:
        return (min(self.policy.connect_timeout, self.policy.timeout), self.policy.timeout)

    def get(self, url: str, headers: dict[str, str] | None = None) -> bytes:
        """GET a body, refusing it while streaming once it exceeds the size cap."""
        limit = self.policy.max_bytes
        with (
            _as_fetch_errors(url),
            self.session.get(
                url, headers=headers, timeout=self._timeouts(), stream=True
            ) as response,
        ):
            if response.status_code != 200:
                raise FetchError(
                    f"HTTP {response.status_code} for {url}", status=response.status_code
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError(
                    f"{url} is {declared} bytes, over the {limit}-byte cap", oversize=True
                )
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_content(chunk_size=65536):
                received += len(chunk)
                if received > limit:
                    raise FetchError(f"{url} exceeds the {limit}-byte cap", oversize=True)
                chunks.append(chunk)
            return b"".join(chunks)

    def head(self, url: str) -> int:
        """Availability check: the status code, without downloading the body."""
        with _as_fetch_errors(url):
            response = self.session.head(url, timeout=self._timeouts(), allow_redirects=True)
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


def _cause(exc: BaseException) -> str:
    """The innermost reason, short: 'Read timed out', 'Connection refused', 'too many 500'."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    return text if len(text) < 300 else text[:300] + "…"
