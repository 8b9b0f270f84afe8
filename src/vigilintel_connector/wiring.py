"""Building the source side from settings, shared by the export and the connector."""

from __future__ import annotations

from pathlib import Path

from vigilintel_connector.log import Logger
from vigilintel_connector.pipeline import DayOptions
from vigilintel_connector.settings import Settings
from vigilintel_connector.source.http import HttpClient, HttpPolicy
from vigilintel_connector.source.upstream import DirectoryUpstream, HttpUpstream, Upstream


def build_upstream(settings: Settings, logger: Logger) -> Upstream:
    vi = settings.vigilintel
    if vi.source_is_directory:
        return DirectoryUpstream(Path(vi.source), vi.max_file_bytes)
    client = HttpClient(
        HttpPolicy(
            retries=vi.http_retries,
            backoff_factor=vi.http_backoff_factor,
            timeout=vi.http_timeout,
            max_bytes=vi.max_file_bytes,
        )
    )
    token = vi.github_token.get_secret_value() if vi.github_token else None
    return HttpUpstream(vi.source, vi.listing_url, client, logger, token)


def day_options(settings: Settings) -> DayOptions:
    vi = settings.vigilintel
    return DayOptions(vi.languages, vi.source_formats, vi.excluded_host_set)
