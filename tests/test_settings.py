"""Configuration: env first, then config.yml, then defaults; bad values stop before any network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support.runs import export, use_http
from vigilintel_connector.cli import main
from vigilintel_connector.settings import ConfigError, Settings, load_settings


def test_defaults_match_the_brief(clean_env):
    settings = load_settings()
    assert settings.connector.name == "VigilIntel"
    assert settings.connector.type == "EXTERNAL_IMPORT"
    assert settings.connector.scope == "stix2"
    assert settings.connector.log_level == "info"  # one line per day imported, and per run
    assert settings.connector.duration_period == dt.timedelta(hours=24)
    assert settings.vigilintel.language == "fr"
    assert settings.vigilintel.lookback_days == 7
    assert settings.vigilintel.source.startswith("https://raw.githubusercontent.com/kidrek/")


def test_environment_overrides_config_file_which_overrides_defaults(clean_env, tmp_path):
    (tmp_path / "config.yml").write_text(
        "opencti:\n  url: 'http://opencti:8080'\n  token: 'from-file'\n"
        "vigilintel:\n  language: en\n  lookback_days: 3\n"
    )
    clean_env.setenv("VIGILINTEL_LOOKBACK_DAYS", "9")
    settings = load_settings()
    assert settings.vigilintel.language == "en"
    assert settings.vigilintel.lookback_days == 9
    assert str(settings.opencti.url) == "http://opencti:8080/"
    assert settings.to_helper_config()["opencti"]["url"] == "http://opencti:8080"
    assert settings.opencti.token.get_secret_value() == "from-file"


def test_config_option_reads_another_file(clean_env, tmp_path):
    path = tmp_path / "elsewhere.yml"
    path.write_text("vigilintel:\n  language: 'fr,en'\n")
    assert load_settings(path).vigilintel.languages == ("fr", "en")


def test_interval_hours_is_deprecated_and_mapped_onto_the_duration_period(clean_env):
    clean_env.setenv("VIGILINTEL_INTERVAL_HOURS", "6")
    settings = load_settings()
    assert settings.connector.duration_period == dt.timedelta(hours=6)
    assert "deprecated" in settings.notices[0]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("VIGILINTEL_LANGUAGE", "de", "fr, en, fr,en"),
        ("VIGILINTEL_LOOKBACK_DAYS", "-1", "greater than or equal to 0"),
        ("VIGILINTEL_LOOKBACK_DAYS", "seven", "integer"),
        ("VIGILINTEL_SOURCE", "/no/such/directory", "existing directory"),
        ("VIGILINTEL_SOURCE", "ftp://example.org/x", "existing directory"),
        ("VIGILINTEL_LISTING_URL", "not a url", "http(s) URL"),
        ("VIGILINTEL_START_DATE", "2026-13-01", "date"),
        ("OPENCTI_URL", "opencti:8080", "http(s) URL"),
        ("CONNECTOR_LOG_LEVEL", "verbose", "debug"),
        ("CONNECTOR_DURATION_PERIOD", "daily", "duration"),
        ("CONNECTOR_ID", "my-connector", "UUID"),
    ],
)
def test_bad_value_exits_2_naming_the_variable_before_any_request(
    clean_env, upstream, tmp_path, capsys, variable, value, named
):
    use_http(clean_env, upstream)
    clean_env.setenv(variable, value)
    code, summary = export(tmp_path / "out", "2026-03-16", "2026-03-16")
    assert code == 2
    assert summary is None
    assert upstream.requests == []
    err = capsys.readouterr().err
    assert variable in err
    assert named in err


def test_secrets_never_appear_in_config_errors(clean_env, capsys):
    clean_env.setenv("OPENCTI_TOKEN", "s3cr3t-opencti-token")
    clean_env.setenv("VIGILINTEL_GITHUB_TOKEN", "ghp_s3cr3tgithubtoken")
    clean_env.setenv("VIGILINTEL_LOOKBACK_DAYS", "-4")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "s3cr3t" not in str(caught.value)
    assert main(["export"]) == 2
    captured = capsys.readouterr()
    assert "s3cr3t" not in captured.err + captured.out
    clean_env.delenv("VIGILINTEL_LOOKBACK_DAYS")
    settings = load_settings()
    assert "s3cr3t" not in repr(settings) + str(settings.model_dump())


def test_secrets_are_masked_in_the_settings_repr(clean_env):
    clean_env.setenv("OPENCTI_TOKEN", "s3cr3t-opencti-token")
    assert "s3cr3t" not in repr(load_settings())


def test_missing_config_file_is_a_config_error(clean_env, tmp_path):
    assert main(["--config", str(tmp_path / "nope.yml"), "export"]) == 2


def test_unreadable_yaml_is_a_config_error(clean_env, tmp_path, capsys):
    (tmp_path / "config.yml").write_text("vigilintel: [unclosed\n")
    assert main(["export"]) == 2
    assert "config.yml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "artefacts"),
    [
        ("auto", ("stix", "json", "markdown")),
        ("markdown, stix", ("stix", "markdown")),
        ("JSON", ("json",)),
    ],
)
def test_source_formats_is_the_list_of_artefacts_to_merge(clean_env, value, artefacts):
    clean_env.setenv("VIGILINTEL_SOURCE_FORMATS", value)
    assert load_settings().vigilintel.artefacts == artefacts


@pytest.mark.parametrize("value", ["pdf", "stix,stix", ""])
def test_unknown_or_repeated_artefacts_are_refused(clean_env, value):
    clean_env.setenv("VIGILINTEL_SOURCE_FORMATS", value)
    if value == "":  # empty is ignored, like every empty variable: the default applies
        assert load_settings().vigilintel.artefacts == ("stix", "json", "markdown")
        return
    with pytest.raises(ConfigError, match="VIGILINTEL_SOURCE_FORMATS"):
        load_settings()


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"vigilintel": {"language": "fr,en", "lookback_days": 30, "confidence": 50}},
        {"opencti": {"url": "http://opencti:8080", "token": "t"},
         "connector": {"id": "5c8e2f4c-3d1a-4b6e-9f0a-2b7c8d9e0f1a", "duration_period": "PT6H"}},
    ],
    ids=["defaults", "vigilintel-section", "platform"],
)  # fmt: skip
def test_valid_configurations_load(clean_env, config):
    settings = Settings(**config)
    assert settings.connector.type == "EXTERNAL_IMPORT"
    helper = settings.to_helper_config()
    assert helper["connector"]["duration_period"] == int(
        settings.connector.duration_period.total_seconds()
    )


@pytest.mark.parametrize(
    ("value", "kinds"),
    [(None, ("weekly", "monthly")), ("", ()), ("monthly", ("monthly",)), ("monthly,weekly",
     ("weekly", "monthly"))],
)  # fmt: skip
def test_digests_default_to_both_and_an_empty_value_turns_them_off(clean_env, value, kinds):
    if value is not None:
        clean_env.setenv("VIGILINTEL_DIGESTS", value)
    assert load_settings().vigilintel.digest_kinds == kinds


def test_an_unknown_digest_kind_is_refused_naming_the_variable(clean_env):
    clean_env.setenv("VIGILINTEL_DIGESTS", "daily")
    with pytest.raises(ConfigError, match=r"VIGILINTEL_DIGESTS.*weekly, monthly"):
        load_settings()


# One source of truth: what the README, the sample files and pycti say against the settings model.
_ROOT = Path(__file__).resolve().parent.parent


def _schema() -> dict:
    from vigilintel_connector.config_schema import build_schema

    return build_schema()["properties"]


def _same(default: object, written: str) -> bool:
    text = str(default).lower()
    return written.lower() in (text, text.rstrip("0").rstrip("."), f"{default}")


def test_every_variable_the_docs_name_is_a_setting_with_the_same_default():
    import re

    schema = _schema()
    for doc in (_ROOT / "README.md", _ROOT / "docs" / "how-it-works.md"):
        text = doc.read_text(encoding="utf-8")
        named = set(re.findall(r"\b((?:CONNECTOR|VIGILINTEL|OPENCTI)_[A-Z_]+[A-Z])\b", text))
        assert named - schema.keys() <= {"OPENCTI_SSL_VERIFY", "CONNECTOR_CONFIG_DOC"}, doc.name
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", (_ROOT / "README.md").read_text(), re.M)
    assert len(rows) >= 12
    for variable, default in rows:
        assert _same(schema[variable]["default"], default), (variable, default)


def test_the_sample_files_hold_the_defaults():
    import re

    import yaml

    schema = _schema()
    sample = yaml.safe_load((_ROOT / "config.yml.sample").read_text())
    for section, values in sample.items():
        for key, value in values.items():
            variable = f"{section}_{key}".upper()
            if "default" in schema[variable] and variable != "CONNECTOR_ID":
                assert _same(schema[variable]["default"], str(value)), variable
    compose = (_ROOT / "docker-compose.yml").read_text()
    for variable, value in re.findall(r"# - ([A-Z_]+)=([^\s#]+)", compose):
        assert variable in schema
        example = "ChangeMe" in value or "START_DATE" in variable
        if "default" in schema[variable] and not example:
            assert _same(schema[variable]["default"], value), variable


def test_every_key_pycti_reads_from_config_yml_is_known():
    import re

    import pycti.connector.opencti_connector_helper as helper

    from vigilintel_connector.pycti_keys import PYCTI_KEYS

    source = Path(helper.__file__).read_text()
    for section, key in re.findall(r'\["(opencti|connector|mq)", "([a-z_]+)"\]', source):
        assert key in PYCTI_KEYS[section], (section, key)
