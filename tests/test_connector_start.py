"""Starting the connector: clear failures before anything is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid


def run_command(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCTI_", "CONNECTOR_"))}
    return subprocess.run(
        [sys.executable, "-m", "vigilintel_connector", "run"],
        env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_missing_platform_settings_exit_2_naming_them(tmp_path):
    done = run_command({"HOME": str(tmp_path)})
    assert done.returncode == 2
    for name in ("OPENCTI_URL", "OPENCTI_TOKEN", "CONNECTOR_ID"):
        assert name in done.stderr


def test_unreachable_platform_exits_1_with_one_clear_line_and_no_traceback():
    done = run_command(
        {
            "OPENCTI_URL": "http://127.0.0.1:9",
            "OPENCTI_TOKEN": "tok-never-printed-1234",
            "CONNECTOR_ID": str(uuid.uuid4()),
        }
    )
    assert done.returncode == 1
    assert "not reachable" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "tok-never-printed" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
