"""Shared fixtures: the real upstream sample, a private copy of it, and an HTTP server over it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.upstream_server import UpstreamServer, copy_sample, serving

# Real upstream files (CC BY-NC 4.0, see its README), kept in the repository so that the tests
# need nothing beside it; VIGILINTEL_SAMPLE points elsewhere, e.g. at a newer copy.
SAMPLE = Path(
    os.environ.get(
        "VIGILINTEL_SAMPLE", Path(__file__).resolve().parent / "data" / "vigilintel-sample"
    )
)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    if not (SAMPLE / "tree.json").is_file():
        pytest.fail(f"the upstream sample is missing at {SAMPLE} (set VIGILINTEL_SAMPLE)")
    return SAMPLE


@pytest.fixture
def sample_copy(sample_dir: Path, tmp_path: Path) -> Path:
    return copy_sample(sample_dir, tmp_path / "upstream")


@pytest.fixture
def upstream(sample_copy: Path) -> Iterator[UpstreamServer]:
    with serving(sample_copy) as server:
        yield server


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting leaks in from the developer's shell or a config.yml in the working directory."""
    for key in list(os.environ):
        if key.startswith(("OPENCTI_", "CONNECTOR_", "VIGILINTEL_")) and key != "VIGILINTEL_SAMPLE":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return monkeypatch
