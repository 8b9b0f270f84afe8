"""Benchmark: export speed against a distant-looking mirror, normalisation throughput, delivery.

Run with ``scripts/benchmark``. Prints a table; numbers are for the machine it runs on. Everything
stays on loopback: the upstream mirror is the shared sample behind an HTTP server that adds 50 ms
to every request, and delivery goes to a private RabbitMQ node through a stand-in OpenCTI API.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.opencti_standin import StandIn, StandInServer  # noqa: E402
from tests.support.rabbitmq import RabbitMQ  # noqa: E402
from tests.support.upstream_server import UpstreamServer  # noqa: E402
from vigilintel_connector.source.documents import parse_json_document  # noqa: E402

SAMPLE = Path(os.environ.get("VIGILINTEL_SAMPLE", ROOT.parent / "shared" / "vigilintel-sample"))
RANGE = ("2025-11-14", "2026-08-08")
LATENCY = 0.050
TARGETS = {"export": 1.5, "normalise": 20.0, "rss": 250.0, "delivery": 1.2}
rows: list[tuple[str, str, str]] = []


def row(what: str, value: str, verdict: str = "") -> None:
    rows.append((what, value, verdict))
    print(f"  {what:<58} {value:>18}  {verdict}", file=sys.stderr, flush=True)


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("OPENCTI_", "CONNECTOR_", "VIGILINTEL_"))
    }  # fmt: skip
    env.update(extra)
    return env


def bench_export(work: Path) -> Path:
    """A cold export process against the slow mirror, next to the sequential floor."""
    out = work / "export"
    with UpstreamServer(SAMPLE) as mirror:
        mirror.latency = LATENCY
        env = clean_env(
            VIGILINTEL_SOURCE=mirror.source_url,
            VIGILINTEL_LISTING_URL=mirror.listing_url,
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv/bin/vigilintel-connector"),
                "export",
                "--out",
                str(out),
                "--since",
                RANGE[0],
                "--until",
                RANGE[1],
            ],
            env=env,
            check=True,
            capture_output=True,
            cwd=work,
        )
        export_s = time.perf_counter() - started
        peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        export_requests, export_bytes = len(mirror.requests), mirror.bytes_sent

        summary = json.loads((out / "summary.json").read_text())
        chosen = [f for d in summary["days"] if d["status"] == "imported" for f in d["files"]]
        mirror.requests.clear()
        mirror.bytes_sent = 0
        session = requests.Session()
        started = time.perf_counter()
        json.loads(session.get(mirror.listing_url, timeout=30).content)
        for path in chosen:  # json.loads, after removing the Markdown fence of some days
            parse_json_document(
                session.get(f"{mirror.source_url}/{path}", timeout=30).content, path
            )
        floor_s = time.perf_counter() - started
        floor_requests, floor_bytes = len(mirror.requests), mirror.bytes_sent

    startup = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", "import vigilintel_connector.cli, pycti"],
        check=True,
    )
    startup_s = time.perf_counter() - startup
    imported = sum(1 for d in summary["days"] if d["status"] == "imported")
    print(
        f"\nExport of the sample ({RANGE[0]} … {RANGE[1]}, {len(summary['days'])} days, "
        f"{imported} imported), mirror latency {LATENCY * 1000:.0f} ms/request",
        file=sys.stderr,
    )
    ratio = export_s / floor_s
    row(
        "export, cold process: wall time",
        f"{export_s:.2f} s",
        f"{ratio:.2f}x floor ({'meets' if ratio <= TARGETS['export'] else 'MISSES'} <= 1.5x)",
    )
    row("  of which interpreter start + imports (pycti)", f"{startup_s:.2f} s")
    row("  requests / bytes", f"{export_requests} / {export_bytes / 1e6:.1f} MB")
    row(
        "  peak RSS",
        f"{peak_mb:.0f} MB",
        "meets < 250 MB" if peak_mb < TARGETS["rss"] else "MISSES < 250 MB",
    )
    row("floor: listing + chosen files, sequential GET + json.loads", f"{floor_s:.2f} s")
    row("  requests / bytes", f"{floor_requests} / {floor_bytes / 1e6:.1f} MB")
    return out


def best_of(function, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def bench_normalise() -> None:
    from vigilintel_connector.convert.report_json import convert_report
    from vigilintel_connector.normalise.stix import normalise_day

    print("\nNormalisation and conversion (best of N, input MB/s)", file=sys.stderr)
    for path, kind in (
        ("2026/06/2026-06-06-report-stix.json", "stix"),
        ("2026/07/2026-07-31-report.json", "json"),
    ):
        raw = (SAMPLE / path).read_bytes()
        document = json.loads(raw)
        day = dt.date.fromisoformat(Path(path).name[:10])
        if kind == "stix":
            seconds = best_of(lambda d=document, x=day: normalise_day([d], x, ("fr",)), 30)
        else:
            seconds = best_of(
                lambda d=document, x=day, r=raw: convert_report(d, x, ("fr",), source=r), 10
            )
        rate = len(raw) / 1e6 / seconds
        verdict = "meets >= 20 MB/s" if rate >= TARGETS["normalise"] else "MISSES >= 20 MB/s"
        row(f"{kind}: {path} ({len(raw) / 1e3:.0f} kB)", f"{rate:.1f} MB/s", verdict)


def bench_delivery(export_dir: Path, work: Path) -> None:
    """Our delivery (work opened, bundle sent, work closed) against pycti's send alone."""
    bundles = [json.loads(p.read_text()) for p in sorted(export_dir.glob("2*.json"))]
    objects = sum(len(b["objects"]) for b in bundles)
    broker = RabbitMQ(work / "rabbitmq")
    broker.start()
    try:
        standin = StandIn(broker)
        with StandInServer(standin) as api:
            os.environ.update(
                {
                    "OPENCTI_URL": api.url,
                    "OPENCTI_TOKEN": "benchmark",
                    "CONNECTOR_ID": "5f8c1a2e-9d3b-4c6a-8e7f-0a1b2c3d4e5f",
                    "CONNECTOR_NAME": "VigilIntel",
                    "CONNECTOR_TYPE": "EXTERNAL_IMPORT",
                    "CONNECTOR_LOG_LEVEL": "error",
                }
            )
            from pycti import OpenCTIConnectorHelper

            from vigilintel_connector.deliver.opencti import HelperSender

            helper = OpenCTIConnectorHelper({})
            sender = HelperSender(helper)
            texts = [json.dumps(b, ensure_ascii=False) for b in bundles]

            def pycti_alone() -> None:
                for text in texts:
                    helper.send_stix2_bundle(text, cleanup_inconsistent_bundle=True)
                standin.drain(helper.connect_id)

            def ours() -> None:
                for i, bundle in enumerate(bundles):
                    sender.send(f"VigilIntel bench {i} (fr)", bundle, "benchmark")
                standin.drain(helper.connect_id)

            alone = min(best_of(pycti_alone, 1), best_of(pycti_alone, 1))
            mine = min(best_of(ours, 1), best_of(ours, 1))
    finally:
        broker.stop()
    print(
        f"\nDelivery of the exported sample ({len(bundles)} bundles, {objects} objects) "
        "to a local RabbitMQ",
        file=sys.stderr,
    )
    ratio = mine / alone
    row(
        "connector delivery (work + send + close)",
        f"{objects / mine:.0f} objects/s",
        f"{ratio:.2f}x pycti ({'meets' if ratio <= TARGETS['delivery'] else 'MISSES'} <= 1.2x)",
    )
    row("pycti send_stix2_bundle alone", f"{objects / alone:.0f} objects/s")


def main() -> None:
    if not (SAMPLE / "tree.json").is_file():
        sys.exit(f"sample not found at {SAMPLE} (set VIGILINTEL_SAMPLE)")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="vigilintel-bench-") as tmp:
        work = Path(tmp)
        export_dir = bench_export(work)
        bench_normalise()
        bench_delivery(export_dir, work)
    print("\n| measure | value | against target |\n|---|---|---|")
    for what, value, verdict in rows:
        print(f"| {what.strip()} | {value} | {verdict} |")
    sys.stdout.flush()
    os._exit(0)  # pycti's helper leaves non-daemon threads behind


if __name__ == "__main__":
    main()
