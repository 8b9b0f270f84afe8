"""Where the MISP catalogs' data lies inside the installed ``pymispgalaxies`` and
``pymispwarninglists`` packages.

The files are read directly: importing the packages themselves loads a JSON-schema validator and
costs seconds at start, for nothing the connector uses.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any


@cache
def _package_dir(package: str) -> Path:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {package} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def galaxy(name: str) -> list[dict[str, Any]]:
    """The values of one galaxy cluster file; empty when this release has no such file."""
    data = _read(_package_dir("pymispgalaxies") / f"data/misp-galaxy/clusters/{name}.json")
    return data["values"] if data else []


def warninglist(name: str) -> dict[str, Any] | None:
    """One MISP warning list (``type``, ``list``…); None when this release has no such list."""
    return _read(
        _package_dir("pymispwarninglists") / f"data/misp-warninglists/lists/{name}/list.json"
    )
