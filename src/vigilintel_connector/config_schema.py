"""The connector's configuration schema and documentation, generated from the settings.

OpenCTI's connector manager deploys a connector from ``__metadata__/connector_config_schema.json``
(one property per environment variable); the Markdown table beside it is for people. Both are
derived from the pydantic settings (types, defaults, descriptions), so they cannot drift: a test
fails when the committed files differ from what ``python -m vigilintel_connector.config_schema``
writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from vigilintel_connector.settings import Settings

REQUIRED = ("OPENCTI_URL", "OPENCTI_TOKEN", "CONNECTOR_ID")  # by `run`; `export` needs none
_KEEP = ("type", "format", "enum", "default", "minimum", "maximum", "exclusiveMinimum")


def _sections() -> dict[str, type]:
    return {
        name: field.annotation
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and hasattr(field.annotation, "model_json_schema")
    }


def _property(schema: dict[str, Any]) -> dict[str, Any]:
    """One variable: the non-null branch of an optional field, with what a deployer needs."""
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    found = {k: v for k, v in branches[0].items() if k in _KEEP}
    if "default" in schema and schema["default"] is not None:
        found["default"] = schema["default"]
    found["description"] = schema.get("description", "")
    if schema.get("writeOnly") or branches[0].get("writeOnly"):
        found["writeOnly"] = True
    return found


def build_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for section, model in _sections().items():
        for name, schema in model.model_json_schema()["properties"].items():
            variable = f"{section}_{name}".upper()
            properties[variable] = _property(schema)
            if "deprecated" in schema.get("description", "").lower():
                properties[variable]["deprecated"] = True
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/kidrek/VigilIntel/opencti-connector/config.schema.json",
        "type": "object",
        "properties": properties,
        "required": list(REQUIRED),
        "additionalProperties": True,
    }


def build_doc() -> str:
    lines = [
        "# VigilIntel connector configuration",
        "",
        "Generated from the settings by `python -m vigilintel_connector.config_schema`; do not "
        "edit by hand. Every variable can also be given as the same key nested in `config.yml` "
        "(`VIGILINTEL_LOOKBACK_DAYS` is `vigilintel: lookback_days:`).",
        "",
        "| Variable | Type | Required | Default | Description |",
        "|---|---|---|---|---|",
    ]
    schema = build_schema()
    for variable, prop in schema["properties"].items():
        kind = prop.get("format") or prop.get("type", "")
        if "enum" in prop:
            kind = " / ".join(f"`{v}`" for v in prop["enum"])
        default = f"`{prop['default']}`" if "default" in prop else ""
        required = "yes (`run`)" if variable in schema["required"] else ""
        description = prop["description"].replace("|", "\\|")
        lines.append(f"| `{variable}` | {kind} | {required} | {default} | {description} |")
    return "\n".join(lines) + "\n"


def write(folder: Path) -> None:
    schema = json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
    (folder / "connector_config_schema.json").write_text(schema, encoding="utf-8")
    (folder / "CONNECTOR_CONFIG_DOC.md").write_text(build_doc(), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "__metadata__"))
