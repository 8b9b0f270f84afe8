"""The deployment files agree with the code: names, defaults, and the pinned platform version."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import pycti
import yaml

from vigilintel_connector.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_config_sample_is_read_by_the_settings(clean_env):
    settings = load_settings(ROOT / "config.yml.sample")
    assert settings.connector.name == "VigilIntel"
    assert settings.opencti.token.get_secret_value() == "ChangeMe"
    assert settings.vigilintel.lookback_days == 7


def test_compose_uses_placeholders_and_known_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["connector-vigilintel"]["environment"]
    assert "OPENCTI_TOKEN=ChangeMe" in env
    assert "CONNECTOR_ID=ChangeMe" in env
    text = (ROOT / "docker-compose.yml").read_text()
    sample = (ROOT / "config.yml.sample").read_text()
    for name in re.findall(r"VIGILINTEL_([A-Z_]+)=", text):
        assert f"{name.lower()}:" in sample, name


def test_image_is_alpine_non_root_without_entrypoint_script():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.12-alpine" in dockerfile
    assert "USER connector" in dockerfile
    assert "entrypoint.sh" not in dockerfile
    assert not (ROOT / "entrypoint.sh").exists()


def test_manifest_and_pins_match_the_targeted_platform():
    manifest = json.loads((ROOT / "__metadata__" / "connector_manifest.json").read_text())
    assert manifest["container_type"] == "EXTERNAL_IMPORT"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"pycti=={pycti.__version__}" in project["dependencies"]
    assert manifest["container_version"] == "rolling"
    assert manifest["container_image"] == "opencti/connector-vigilintel"
    assert manifest["support_version"] == pycti.__version__
    assert pycti.__version__ in (ROOT / "README.md").read_text()


def test_every_third_party_package_the_code_imports_is_a_pinned_runtime_dependency():
    """A package only installed as a dev extra would be missing from the image."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {re.split(r"==", d)[0].lower().replace("_", "-") for d in project["dependencies"]}
    assert all("==" in d for d in project["dependencies"])
    distributions = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"vigilintel_connector"}
    assert third_party, "the scan found the code's imports"
    for module in sorted(third_party):
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert owners & pinned, f"{module} ({owners}) is not a runtime dependency"


def test_config_schema_and_doc_are_generated_from_the_settings(tmp_path):
    """Stale files fail here: regenerate with `python -m vigilintel_connector.config_schema`."""
    from vigilintel_connector.config_schema import write

    write(tmp_path)
    for name in ("connector_config_schema.json", "CONNECTOR_CONFIG_DOC.md"):
        assert (tmp_path / name).read_text() == (ROOT / "__metadata__" / name).read_text(), name
    schema = json.loads((tmp_path / "connector_config_schema.json").read_text())
    assert {"OPENCTI_URL", "CONNECTOR_ID", "VIGILINTEL_CONFIDENCE"} <= set(schema["properties"])
    assert all(p["description"] for p in schema["properties"].values())


def test_the_locks_pin_what_pyproject_pins_with_hashes():
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, wanted in (
        ("requirements.lock", project["dependencies"]),
        (
            "requirements-dev.lock",
            [*project["dependencies"], *project["optional-dependencies"]["dev"]],
        ),
    ):
        text = (ROOT / lock).read_text()
        pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\", text, re.M))
        names = {k.lower().replace("_", "-"): v for k, v in pins.items()}
        for requirement in wanted:
            name, version = requirement.split("==")
            assert names.get(name.lower().replace("_", "-")) == version, (lock, requirement)
        entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.strip())
        assert all("--hash=sha256:" in entry for entry in entries), lock
    assert "--require-hashes -r requirements.lock" in (ROOT / "Dockerfile").read_text()
    assert (
        "--require-hashes -r requirements-dev.lock" in (ROOT / "scripts" / "bootstrap").read_text()
    )
