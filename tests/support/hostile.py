"""Hostile variants of real upstream days, exported in a child process whose time and peak
memory are measured: what a broken upstream run, or an attacker, could publish."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The child prints its own peak RSS once the export returns: the figure covers the whole run.
# VmHWM belongs to the process image, unlike ru_maxrss, which Linux carries over from the
# forked parent (the test runner) across exec.
_CHILD = """
import re, resource, sys
from vigilintel_connector.cli import main
code = main(sys.argv[1:])
try:
    with open("/proc/self/status") as status:
        peak = int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1)) // 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"PEAK_MB={peak}", file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Outcome:
    code: int
    seconds: float
    peak_mb: int
    summary: dict[str, Any]
    out: Path
    stderr: str

    def day(self, date: str) -> dict[str, Any]:
        return next(d for d in self.summary["days"] if d["date"] == date)

    def bundle(self, date: str) -> dict[str, Any]:
        text = (self.out / f"{date}.json").read_text(encoding="utf-8")
        return json.loads(text, parse_constant=_refuse)


def _refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def month_copy(sample: Path, target: Path, month: str) -> Path:
    """A source holding one month of the sample (``2026/06``), laid out like the repository."""
    shutil.copytree(sample / month, target / month)
    return target


def export_in_child(
    source: Path | str, out: Path, since: str, until: str, timeout: float, **env: str
) -> Outcome:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENCTI_", "CONNECTOR_", "VIGILINTEL_"))
    }
    environment.update({"VIGILINTEL_SOURCE": str(source), "VIGILINTEL_DIGESTS": "", **env})
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "export",
            "--out",
            str(out),
            "--since",
            since,
            "--until",
            until,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=out.parent,
        check=False,
    )
    seconds = time.monotonic() - started
    peak = next(
        (
            int(line.split("=")[1])
            for line in done.stderr.splitlines()
            if line.startswith("PEAK_MB=")
        ),
        -1,
    )
    summary = (
        json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    )
    return Outcome(done.returncode, seconds, peak, summary, out, done.stderr)
