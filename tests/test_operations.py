"""Issue 23: a connector an admin can operate. It says what it did at the default log level, fails
in one line with a documented exit status, stops cleanly on Ctrl-C and SIGTERM, refuses mistakes
before any network call, and says when French stands in for English."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from vigilintel_connector.cli import main
from vigilintel_connector.log import StdLogger
from vigilintel_connector.settings import VigilIntelSection


def _child_env(sample_dir: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    return {**env, "VIGILINTEL_SOURCE": str(sample_dir), **extra}


def _export(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    command = [sys.executable, "-m", "vigilintel_connector", "export", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@pytest.mark.parametrize(
    ("args", "yaml", "said"),
    [
        (["--since", "2031-01-01"], None, "--since 2031-01-01 is in the future"),
        (["--until", "2020-01-01"], None, "before upstream's first day"),
        (["--out", ""], None, "argument --out: expected a directory"),
        ([], "connector:\n  metrics_prot: 9000\n", "unknown key connector.metrics_prot"),
        ([], "opencti:\n  ssl_verify: true\nmq:\n  host: x\nbogus: {}\n", "unknown section"),
    ],
)
def test_mistakes_are_refused_in_one_line_with_exit_2(
    clean_env, sample_dir, tmp_path, capsys, args, yaml, said
):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    if yaml:
        (tmp_path / "config.yml").write_text(yaml)
        args = [*args, "--config", str(tmp_path / "config.yml")]
    with pytest.raises(SystemExit) if "--out" in args else _no_exit() as raised:
        code = main(["export", "--out", str(tmp_path / "out"), *args] if "--out" not in args
                    else ["export", *args])  # fmt: skip
    err = capsys.readouterr().err.strip()
    code = raised.value.code if isinstance(raised, pytest.ExceptionInfo) else code
    assert code == 2 and said in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


class _no_exit:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_an_invalid_boolean_is_refused(clean_env, capsys):
    clean_env.setenv("CONNECTOR_EXPOSE_METRICS", "maybe")
    assert main(["export"]) == 2
    assert "CONNECTOR_EXPOSE_METRICS" in capsys.readouterr().err


def test_a_full_disk_stops_the_export_in_one_line_with_exit_3(sample_dir, tmp_path):
    def small_files() -> None:  # writes past 60 kB fail like a full disk (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    out = tmp_path / "out"
    child = _export(
        ["--since", "2025-04-30", "--until", "2025-06-16", "--out", str(out)],
        _child_env(sample_dir), preexec_fn=small_files,
    )  # fmt: skip
    _, err = child.communicate(timeout=300)
    lines = err.decode().strip().splitlines()
    assert child.returncode == 3, err
    assert lines[-1].startswith(f"error: cannot write {out}/") and "Traceback" not in err.decode()
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_stop_cleanly_with_a_summary_of_the_days_done(
    sample_dir, tmp_path, sent, code
):
    out = tmp_path / "out"
    child = _export(
        ["--since", "2025-04-30", "--until", "2026-08-08", "--out", str(out)],
        _child_env(sample_dir),
    )
    assert child.stderr is not None
    seen = b""
    while b"imported" not in seen:  # the first day written
        seen += child.stderr.readline()
    child.send_signal(sent)
    _, rest = child.communicate(timeout=120)
    err = (seen + rest).decode()
    assert child.returncode == code, err
    assert "Traceback" not in err and "interrupted:" in err.strip().splitlines()[-1]
    assert not list(out.rglob("*.tmp"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    written = {p.stem for p in out.glob("2*.json")}
    listed = {d["date"] for d in summary["days"] if d["status"] == "imported"}
    assert written == listed and written


def test_a_source_that_never_answers_fails_naming_the_url(sample_dir, tmp_path, capsys):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: [held.append(server.accept()[0]) for _ in iter(int, 1)],
                     daemon=True).start()  # fmt: skip
    base = f"http://127.0.0.1:{server.getsockname()[1]}"
    env = _child_env(
        sample_dir, VIGILINTEL_SOURCE=f"{base}/vi", VIGILINTEL_LISTING_URL=f"{base}/tree",
        VIGILINTEL_HTTP_TIMEOUT="1", VIGILINTEL_HTTP_DEADLINE="3",
    )  # fmt: skip
    started = time.monotonic()
    child = _export(["--since", "2026-08-01", "--until", "2026-08-03", "--out", str(tmp_path)], env)
    _, err = child.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert child.returncode == 1 and f"{base}/tree" in err.decode(), err
    # Twice the deadline (the listing, then one probe of the files), plus the interpreter.
    assert elapsed < 2 * 3 + 10, elapsed
    defaults = VigilIntelSection()
    assert 2 * defaults.http_deadline + 5 < 90  # so with the defaults: within 90 s
    assert 2 * defaults.http_timeout <= defaults.http_deadline


def test_an_unexpected_error_is_one_line_and_a_traceback_file(clean_env, capsys, monkeypatch):
    import vigilintel_connector.jobs.export as job

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(job, "export", broken)
    assert main(["export"]) == 70
    line = capsys.readouterr().err.strip()
    assert line.startswith("error: unexpected ZeroDivisionError: a bug (traceback in ")
    log = Path(line.rsplit("traceback in ", 1)[1].rstrip(")"))
    assert "ZeroDivisionError" in log.read_text()


def test_an_english_export_of_a_markdown_only_day_says_it_is_french(
    clean_env, sample_dir, tmp_path
):
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_dir))
    clean_env.setenv("VIGILINTEL_LANGUAGE", "en")
    assert main(["export", "--since", "2025-08-12", "--until", "2025-08-12",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    objects = json.loads((tmp_path / "2025-08-12.json").read_text())["objects"]
    assert {o["lang"] for o in objects if o["type"] in ("report", "note")} == {"fr"}
    entry = json.loads((tmp_path / "summary.json").read_text())["days"][0]
    assert entry["language_fallback"] == "fr" and "in French" in entry["message"]


def test_a_default_run_says_what_it_imported_in_few_lines(clean_env, sample_copy, caplog):
    import datetime as dt

    from tests.test_importer import RecordingSender, make_importer

    importer, _ = make_importer(
        clean_env, sample_copy, dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC), RecordingSender(),
        VIGILINTEL_START_DATE="2026-07-25",
    )  # fmt: skip
    importer.logger = StdLogger(level="info")  # the default level
    with caplog.at_level("INFO", logger="vigilintel"):
        importer.run()
    lines = [r.getMessage() for r in caplog.records if r.levelname != "DEBUG"]
    imported = [line for line in lines if line.startswith("Imported 20")]
    assert len(imported) == 3  # 2026-07-31, 2026-08-01 and 2026-08-08
    assert len([line for line in lines if "published" in line]) <= 2
    assert lines[-1].startswith("Import run finished: 3 imported, 0 failed, 3 with nothing")


def test_a_digest_written_before_its_period_ended_is_told_partial(clean_env, sample_copy, tmp_path):
    markdown = sample_copy / "2026" / "05" / "2026-05-report.md"
    text = markdown.read_text(encoding="utf-8")
    markdown.write_text(text.replace("Generated on 2026-05-31", "Generated on 2026-05-12"))
    clean_env.setenv("VIGILINTEL_SOURCE", str(sample_copy))
    assert main(["export", "--since", "2026-05-31", "--until", "2026-06-10",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    digests = json.loads((tmp_path / "summary.json").read_text())["digests"]
    month = next(d for d in digests if d["period"] == "2026-05")
    assert (
        "partial: written on 2026-05-12, before its period ended on 2026-05-31" in month["message"]
    )
