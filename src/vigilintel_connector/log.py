"""One logging shape for both front ends.

The core takes any object with pycti's ``connector_logger`` signature (``info(message, meta)``), so
the same code logs through OpenCTI's helper when running as a connector and through the standard
library when exporting without a platform.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol


class Logger(Protocol):
    def debug(self, message: str, meta: dict[str, Any] | None = None) -> None: ...
    def info(self, message: str, meta: dict[str, Any] | None = None) -> None: ...
    def warning(self, message: str, meta: dict[str, Any] | None = None) -> None: ...
    def error(self, message: str, meta: dict[str, Any] | None = None) -> None: ...


class StdLogger:
    """Structured metadata appended as JSON, the way pycti's logger prints it."""

    def __init__(self, name: str = "vigilintel", level: str = "error"):
        self._logger = logging.getLogger(name)
        if not self._logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            self._logger.addHandler(handler)
            self._logger.propagate = False
        self._logger.setLevel(_LEVELS.get(level.lower(), logging.ERROR))

    def _log(self, level: int, message: str, meta: dict[str, Any] | None) -> None:
        if meta:
            message = f"{message} {json.dumps(meta, default=str, ensure_ascii=False)}"
        self._logger.log(level, message)

    def debug(self, message: str, meta: dict[str, Any] | None = None) -> None:
        self._log(logging.DEBUG, message, meta)

    def info(self, message: str, meta: dict[str, Any] | None = None) -> None:
        self._log(logging.INFO, message, meta)

    def warning(self, message: str, meta: dict[str, Any] | None = None) -> None:
        self._log(logging.WARNING, message, meta)

    def error(self, message: str, meta: dict[str, Any] | None = None) -> None:
        self._log(logging.ERROR, message, meta)


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
