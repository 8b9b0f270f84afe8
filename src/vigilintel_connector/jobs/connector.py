"""``vigilintel-connector run``: the OpenCTI connector on its schedule.

pycti's helper kills the process with SIGTERM, without a traceback, on any exception escaping
the scheduled callback; the callback therefore catches everything and logs it, so a failed run
is an ERROR line and the next run still happens.
"""

from __future__ import annotations

import os
import sys
import traceback

import requests

from vigilintel_connector.day_workers import DayWorkers, start_workers
from vigilintel_connector.deliver.opencti import (
    DryRunSender,
    HelperSender,
    HelperStateStore,
    MemoryStateStore,
)
from vigilintel_connector.jobs.build import ExitCode, build_upstream, stopped_by_sigterm
from vigilintel_connector.jobs.importer import Importer
from vigilintel_connector.log import StdLogger
from vigilintel_connector.settings import Settings


def missing_platform_settings(settings: Settings) -> list[str]:
    missing = []
    if not settings.opencti.url:
        missing.append("OPENCTI_URL")
    if not settings.opencti.token or not settings.opencti.token.get_secret_value():
        missing.append("OPENCTI_TOKEN")
    if not settings.connector.id:
        missing.append("CONNECTOR_ID")
    return missing


class PlatformUnavailable(Exception):
    """The platform cannot be used: unreachable, refusing the token, or the wrong version."""


def check_platform(url: str, token: str) -> str:
    """One health query before pycti's helper, which otherwise logs a traceback per attempt.

    Returns the platform version; a pycti of another major version cannot register with it.
    """
    import pycti

    verify = os.environ.get("OPENCTI_SSL_VERIFY", "false").lower() in ("true", "yes", "1")
    try:
        response = requests.post(
            f"{url.rstrip('/')}/graphql",
            json={"query": "query { about { version } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=(10, 30),
            verify=verify,
        )
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise PlatformUnavailable(f"OpenCTI is not reachable at {url} ({reason})") from None
    if response.status_code in (401, 403):
        raise PlatformUnavailable(f"OpenCTI at {url} refused the token (OPENCTI_TOKEN)")
    try:
        version = response.json()["data"]["about"]["version"]
    except (ValueError, KeyError, TypeError):
        raise PlatformUnavailable(
            f"{url} did not answer like OpenCTI (HTTP {response.status_code})"
        ) from None
    if str(version).split(".")[0] != pycti.__version__.split(".")[0]:
        raise PlatformUnavailable(
            f"OpenCTI {version} at {url} does not match pycti {pycti.__version__}: "
            "use the connector release built for your platform version"
        )
    return str(version)


def run_connector(settings: Settings) -> ExitCode:
    missing = missing_platform_settings(settings)
    if missing:
        print(
            f"configuration error: {', '.join(missing)} must be set to run the connector "
            "(the export command needs none of them)",
            file=sys.stderr,
        )
        return ExitCode.CONFIG

    # Forked while this process has one thread (the helper starts several) and no socket
    # open (a worker would hold a copy of it).
    workers = start_workers(
        settings.vigilintel.workers, StdLogger(level=settings.connector.log_level)
    )
    try:
        return _serve(settings, workers)
    finally:
        if workers is not None:
            workers.close()


def _serve(settings: Settings, workers: DayWorkers | None) -> ExitCode:
    from pycti import OpenCTIConnectorHelper

    assert settings.opencti.url and settings.opencti.token
    url = str(settings.opencti.url)
    try:
        check_platform(url, settings.opencti.token.get_secret_value())
    except PlatformUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.UNREACHABLE
    try:
        helper = OpenCTIConnectorHelper(settings.to_helper_config())
    except Exception as exc:  # pycti raises bare exceptions for an unreachable platform
        print(
            f"error: could not register with OpenCTI at {url}: "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            file=sys.stderr,
        )
        return ExitCode.UNREACHABLE
    logger = helper.connector_logger
    for notice in settings.notices:
        logger.warning(notice)
    upstream = build_upstream(settings, logger)
    dry_run = settings.vigilintel.dry_run
    importer = Importer(
        settings,
        upstream,
        MemoryStateStore(helper.get_state()) if dry_run else HelperStateStore(helper),
        DryRunSender(logger) if dry_run else HelperSender(helper),
        logger,
        metrics=helper.metric,
        workers=workers,
    )

    def run_once() -> None:
        helper.metric.state("running")
        try:
            importer.run()
        except Exception as exc:
            helper.metric.inc("error_count")
            logger.error(
                "Import run failed; the next run will retry",
                {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=5)},
            )
        finally:
            helper.metric.state("idle")

    logger.info(
        "VigilIntel connector starting",
        {"source": upstream.description, "language": settings.vigilintel.language,
         "period": str(settings.connector.duration_period), "dry_run": dry_run},
    )  # fmt: skip
    with stopped_by_sigterm():  # Ctrl-C and SIGTERM end the process between two saved days
        helper.schedule_process(
            message_callback=run_once,
            duration_period=settings.connector.duration_period.total_seconds(),
        )
    return ExitCode.OK
