"""Issue 15: a command line that helps — every mistake one line and exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.support.runs import export
from vigilintel_connector.cli import main


def cli(*args: str, cwd=None, env=None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vigilintel_connector", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
    )  # fmt: skip


def test_version_and_help_say_what_a_newcomer_needs(clean_env, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and "0.1.0" in capsys.readouterr().out
    for command in ("export", "run"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "exit status" in text and "VIGILINTEL_SOURCE" in text, command
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    assert "YYYY-MM-DD" in text and "default: today" in text


def test_config_is_accepted_before_or_after_the_command(clean_env, sample_dir, tmp_path):
    config = tmp_path / "elsewhere.yml"
    config.write_text(f"vigilintel:\n  source: '{sample_dir}'\n")
    day = ["--since", "2026-03-16", "--until", "2026-03-16"]
    assert main(["--config", str(config), "export", "--out", str(tmp_path / "a"), *day]) == 0
    assert main(["export", "--config", str(config), "--out", str(tmp_path / "b"), *day]) == 0


@pytest.mark.parametrize("mistake", ["out-is-a-file", "out-under-a-file"])
def test_an_unusable_output_path_is_one_line_and_exit_2(
    clean_env, sample_dir, tmp_path, capsys, mistake
):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    taken = tmp_path / "taken"
    taken.write_text("x")
    target = taken if mistake == "out-is-a-file" else taken / "sub"
    code, _ = export(target, "2026-03-16", "2026-03-16")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: --out") and "Traceback" not in "\n".join(err)


@pytest.mark.parametrize(
    ("setup", "named"),
    [
        ("empty-source", "VIGILINTEL_SOURCE"),
        ("unknown-key", "vigilintel.lookbak_days"),
        ("bad-connector-id", "CONNECTOR_ID"),
    ],
)
def test_each_mistake_names_what_to_fix(clean_env, tmp_path, capsys, setup, named):
    if setup == "empty-source":
        (tmp_path / "empty").mkdir()
        clean_env.setenv("VIGILINTEL_SOURCE", str(tmp_path / "empty"))
    elif setup == "unknown-key":
        (tmp_path / "config.yml").write_text("vigilintel:\n  lookbak_days: 3\n")
    else:
        clean_env.setenv("CONNECTOR_ID", "my-connector")
    assert main(["export", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert named in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_an_unresolvable_source_fails_fast_with_what_to_check(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "VIGILINTEL_SOURCE": "https://vigilintel-mirror.invalid/raw",
        "VIGILINTEL_LISTING_URL": "https://vigilintel-mirror.invalid/tree.json",
    }
    started = time.monotonic()
    done = cli("export", "--out", str(tmp_path / "out"), cwd=tmp_path, env=env)
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert "source unreachable" in done.stderr and "VIGILINTEL_SOURCE" in done.stderr
    assert "Traceback" not in done.stderr
