"""Deliver to OpenCTI through pycti: one work per day, always closed, state pinged at once.

Only this module and ``jobs/connector.py`` know pycti's helper; the import run talks to the
two small interfaces below, so it is tested without a platform.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from vigilintel_connector.normalise.result import DayBundle


class DeliveryError(Exception):
    """The day's bundle did not reach the platform; its work was closed in error."""


class StateStore(Protocol):
    def load(self) -> object: ...

    def save(self, state: dict[str, Any]) -> None: ...


class Sender(Protocol):
    def send(self, work_name: str, output: DayBundle, message: str) -> int: ...


class HelperStateStore:
    """pycti keeps state in memory until a ping: force one after every save, so a crash loses
    at most the day in flight."""

    def __init__(self, helper: Any):
        self.helper = helper

    def load(self) -> object:
        """The platform's state as stored: pycti's ``get_state`` turns an unreadable state into
        None, which would look like a first run; read the raw text so it can be reported."""
        raw = getattr(self.helper, "connector_state", None)
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            return raw
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):  # reported, then a fresh backfill (load_state)
            return raw

    def save(self, state: dict[str, Any]) -> None:
        self.helper.set_state(state)
        self.helper.force_ping()


class HelperSender:
    """``send_stix2_bundle`` with the bundle's own author and markings, inside a work that is
    closed as processed, or in error when anything fails."""

    def __init__(self, helper: Any):
        self.helper = helper

    def send(self, work_name: str, output: DayBundle, message: str) -> int:
        work = self.helper.api.work
        try:
            work_id = work.initiate_work(self.helper.connect_id, work_name)
        except Exception as exc:
            raise DeliveryError(f"the platform refused to open a work: {exc}") from exc
        try:
            chunks = self.helper.send_stix2_bundle(
                output.payload.decode("utf-8"),
                work_id=work_id,
                cleanup_inconsistent_bundle=True,
            )
        except Exception as exc:
            self._close_in_error(work_id, f"Sending failed: {exc}")
            raise DeliveryError(f"sending failed: {exc}") from exc
        try:
            work.to_processed(work_id, message)
        except Exception as exc:
            raise DeliveryError(f"the work could not be closed: {exc}") from exc
        return len(chunks or [])

    def _close_in_error(self, work_id: str, message: str) -> None:
        try:
            self.helper.api.work.to_processed(work_id, message, in_error=True)
        except Exception as exc:  # the platform may be down too; the day is retried anyway
            self.helper.connector_logger.error(
                "Could not close the work in error", {"work_id": work_id, "error": str(exc)}
            )


class DryRunSender:
    """Logs what would be sent; sends nothing, opens no work."""

    def __init__(self, logger: Any):
        self.logger = logger

    def send(self, work_name: str, output: DayBundle, message: str) -> int:
        self.logger.info("Dry run: bundle not sent", {"work": work_name, "detail": message})
        return 0


class MemoryStateStore:
    """Dry runs read the real state but never write it."""

    def __init__(self, initial: object):
        self.state = initial

    def load(self) -> object:
        return self.state

    def save(self, state: dict[str, Any]) -> None:
        self.state = state
