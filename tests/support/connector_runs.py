"""Run the real connector (``vigilintel-connector run``) as a subprocess, as Docker would.

pycti's helper installs process-wide hooks and kills its process on errors, so it never runs
inside pytest; each run here is a fresh process with run-and-terminate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.opencti_standin import StandIn
from tests.support.upstream_server import UpstreamServer
from vigilintel_connector.source.upstream import git_blob_sha

OPENCTI_TOKEN = "opencti-token-must-never-be-logged-7f3a"
GITHUB_TOKEN = "ghp_githubtokenmustneverbelogged0000"


@dataclass
class ConnectorRun:
    returncode: int
    output: str
    messages: list[dict[str, Any]]
    new_works: list[Any]

    def objects_by_day(self, standin: StandIn) -> dict[str, set[str]]:
        """Objects received per work label: a day (``2026-01-28``) or a digest (``weekly
        2026-04-w2``)."""
        days: dict[str, set[str]] = defaultdict(set)
        for message in self.messages:
            label = work_label(standin.works[message["work_id"]].name)
            days[label].update(o["id"] for o in message["bundle"]["objects"])
        return dict(days)

    @property
    def work_days(self) -> list[str]:
        labels = (work_label(w.name) for w in self.new_works)
        return sorted(label for label in labels if " " not in label)

    @property
    def work_digests(self) -> list[str]:
        labels = (work_label(w.name) for w in self.new_works)
        return sorted(label for label in labels if " " in label)


def work_label(name: str) -> str:
    """``VigilIntel 2026-01-28 (fr)`` → ``2026-01-28``; ``VigilIntel weekly 2026-04-w2 (fr)``
    → ``weekly 2026-04-w2``."""
    return name.removeprefix("VigilIntel ").rsplit(" (", 1)[0]


@dataclass
class Connector:
    standin: StandIn
    standin_url: str
    upstream: UpstreamServer
    connector_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    env: dict[str, str] = field(default_factory=dict)
    _logs: dict[int, str] = field(default_factory=dict)

    def run(
        self, timeout: float = 300, after_process: Callable[[], None] | None = None, **extra: str
    ) -> ConnectorRun:
        before = set(self.standin.works)
        process = self.start(**extra)
        try:
            process.wait(timeout=timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if after_process is not None:
            after_process()
        return self.collect(before, process)

    def collect(self, before: set[str], process: subprocess.Popen) -> ConnectorRun:
        """What reached the broker and the stand-in, and what the process printed."""
        messages = self.standin.drain(self.connector_id)
        new_works = [w for k, w in self.standin.works.items() if k not in before]
        output = Path(self._logs[process.pid]).read_text()
        return ConnectorRun(process.returncode, output, messages, new_works)

    def start(self, **extra: str) -> subprocess.Popen:
        """Start a run whose output goes to a file (a full pipe would block the process)."""
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("OPENCTI_", "CONNECTOR_", "VIGILINTEL_", "MQ_"))
        }  # fmt: skip
        env.update(
            {
                "OPENCTI_URL": self.standin_url,
                "OPENCTI_TOKEN": OPENCTI_TOKEN,
                "CONNECTOR_ID": self.connector_id,
                "CONNECTOR_RUN_AND_TERMINATE": "true",
                "CONNECTOR_LOG_LEVEL": "info",
                "VIGILINTEL_SOURCE": self.upstream.source_url,
                "VIGILINTEL_LISTING_URL": self.upstream.listing_url,
                "VIGILINTEL_GITHUB_TOKEN": GITHUB_TOKEN,
                "VIGILINTEL_HTTP_BACKOFF_FACTOR": "0.01",
                "VIGILINTEL_HTTP_RETRIES": "2",
                "PYTHONUNBUFFERED": "1",
                **self.env,
                **extra,
            }
        )
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the process's end
            "w", prefix="connector-run-", suffix=".log", delete=False
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "vigilintel_connector", "run"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        log.close()
        self._logs[process.pid] = log.name
        return process


def replace_upstream_file(root: Path, path: str, content: bytes | None) -> None:
    """Change a file the way an upstream commit would: the file and its listing entry."""
    listing_path = root / "tree.json"
    listing = json.loads(listing_path.read_text())
    listing["tree"] = [e for e in listing["tree"] if e["path"] != path]
    target = root / path
    if content is None:
        target.unlink(missing_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        listing["tree"].append(
            {"path": path, "mode": "100644", "type": "blob", "sha": git_blob_sha(content),
             "size": len(content)}
        )  # fmt: skip
    listing_path.write_text(json.dumps(listing))


def keep_only(root: Path, *prefixes: str) -> None:
    """Make a sample copy hold only the files under ``prefixes``: a smaller upstream for the
    cases that need a first run of their own but not the whole history."""
    listing_path = root / "tree.json"
    listing = json.loads(listing_path.read_text())
    kept = []
    for entry in listing["tree"]:
        if entry["type"] != "blob" or entry["path"].startswith(prefixes):
            kept.append(entry)
        else:
            (root / entry["path"]).unlink(missing_ok=True)
    listing["tree"] = kept
    listing_path.write_text(json.dumps(listing))


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
