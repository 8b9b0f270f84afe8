"""The deployment files agree with the code: names, defaults, and the pinned platform version."""

from __future__ import annotations

import json
import re
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
    assert manifest["container_version"] == pycti.__version__
    assert pycti.__version__ in (ROOT / "README.md").read_text()
