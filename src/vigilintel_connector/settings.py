"""Connector settings: environment variables, then ``config.yml``, then defaults.

Names follow OpenCTI's ``<SECTION>_<FIELD>`` convention (``VIGILINTEL_LOOKBACK_DAYS`` is field
``lookback_days`` of section ``vigilintel``), so the same keys work as environment variables and as
nested YAML. Validation happens here, before any network call, so that a typo stops the process with
the variable's name instead of surfacing later as a confusing network or parsing error.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

import yaml
from pydantic import (
    BaseModel,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from vigilintel_connector.normalise.context import DEFAULT_CONFIDENCE
from vigilintel_connector.pycti_keys import PYCTI_KEYS
from vigilintel_connector.select.candidates import ARTEFACTS, Artefact
from vigilintel_connector.source.periods import DIGEST_KINDS, DigestKind

DEFAULT_SOURCE = "https://raw.githubusercontent.com/kidrek/VigilIntel/main"
DEFAULT_LISTING_URL = "https://api.github.com/repos/kidrek/VigilIntel/git/trees/main?recursive=1"
LANGUAGES = ("fr", "en")


_CHOICES = {
    "language": (LANGUAGES, "one of: fr, en, fr,en"),
    "source_formats": (ARTEFACTS, "auto or a comma-separated list of: stix, json, markdown"),
    "digests": (DIGEST_KINDS, "empty, or a comma-separated list of: weekly, monthly"),
}


def _comma_list(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable and what it accepts."""


class OpenCTISection(BaseModel):
    """Where the platform is. Optional here because ``export`` needs no platform; ``run`` checks."""

    url: HttpUrl | None = Field(
        default=None, description="URL of the OpenCTI platform (needed by `run` only)."
    )
    token: SecretStr | None = Field(
        default=None, description="API token of the connector's OpenCTI user (`run` only)."
    )


class ConnectorSection(BaseModel):
    id: UUID | None = Field(
        default=None, description="A UUIDv4 of your choosing, unique to this connector (`run`)."
    )
    type: Literal["EXTERNAL_IMPORT"] = Field(
        default="EXTERNAL_IMPORT", description="Connector type; always EXTERNAL_IMPORT."
    )
    name: str = Field(default="VigilIntel", description="Name shown in OpenCTI.")
    scope: str = Field(default="stix2", description="What the connector imports.")
    log_level: Literal["debug", "info", "warn", "warning", "error"] = Field(
        default="info",
        description="Log level: debug, info, warn or error. At info, one line per day imported "
        "and one per run.",
    )
    duration_period: dt.timedelta = Field(
        default=dt.timedelta(hours=24),
        description="ISO-8601 period between runs (P1D, PT12H…).",
    )
    run_and_terminate: bool = Field(default=False, description="Run once, then exit.")
    expose_metrics: bool = Field(
        default=False,
        description="Expose Prometheus counters (pycti's run_count, record_send, error_count).",
    )
    metrics_port: int = Field(default=9095, ge=1, le=65535, description="Port of the metrics.")
    queue_threshold: float = Field(
        default=500,
        gt=0,
        description="A run is skipped while the platform's queue for this connector holds more "
        "than this many MB.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("duration_period")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value.total_seconds() < 0:
            raise ValueError("must be an ISO-8601 duration such as PT24H, not negative")
        return value


class VigilIntelSection(BaseModel):
    language: str = Field(
        default="fr",
        description="Language of the imported text: fr, en, or fr,en for both.",
        json_schema_extra={"enum": ["fr", "en", "fr,en", "en,fr"]},
    )
    lookback_days: int = Field(default=7, ge=0, le=3650, description="First run and default "
        "export range: today minus this many days to today.")  # fmt: skip
    interval_hours: float | None = Field(
        default=None,
        gt=0,
        description="Deprecated: mapped onto CONNECTOR_DURATION_PERIOD.",
    )
    start_date: dt.date | None = Field(
        default=None, description="YYYY-MM-DD where a first run starts instead of the lookback."
    )
    source: str = Field(
        default=DEFAULT_SOURCE,
        description="http(s) base URL of a mirror laid out like the repository, or a local "
        "directory (e.g. a git clone).",
    )
    listing_url: HttpUrl = Field(
        default=HttpUrl(DEFAULT_LISTING_URL),
        description="A JSON listing shaped like GitHub's git-trees answer.",
    )
    github_token: SecretStr | None = Field(
        default=None,
        description="Optional GitHub token, sent only to api.github.com (raises the rate limit).",
    )
    source_formats: str = Field(
        default="stix,json,markdown",
        description="The day's artefacts to import, merged into one bundle: any of stix, json, "
        "markdown, comma-separated (auto: all three).",
    )
    digests: str = Field(
        default="weekly,monthly",
        description="Upstream's digests to import, each as its own report once its period has "
        "ended: weekly, monthly, both (comma-separated), or empty for none.",
    )
    missing_grace_days: int = Field(
        default=3,
        ge=0,
        le=365,
        description="Days an unpublished day is checked again before it is recorded missing, "
        "and a digest written before its period ended waits for its final version.",
    )
    http_retries: int = Field(
        default=5, ge=0, le=20, description="Retries after the first try, for 429/5xx/resets."
    )
    http_backoff_factor: float = Field(
        default=1.0, ge=0, le=60, description="Base of the exponential backoff, in seconds."
    )
    http_timeout: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="Read timeout, seconds: the longest silence accepted from a server.",
    )
    http_deadline: float = Field(
        default=40.0,
        gt=0,
        le=3600,
        description="Longest time one download may take, retries and waits included; a file "
        "not had by then is tried again on the next run.",
    )
    http_retry_after_max: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="Longest Retry-After honoured, seconds; a server asking for more is tried "
        "again on the next run.",
    )
    http_concurrency: int = Field(default=6, ge=1, le=16, description="Files fetched in parallel.")
    workers: int = Field(default=2, ge=1, le=16, description="Processes converting days, at "
        "most one per core (1: in the main process); each adds about 50 MB.")  # fmt: skip
    max_file_size_mb: float = Field(
        default=20.0, gt=0, le=1024, description="Larger files are refused while downloading."
    )
    excluded_hosts: str = Field(
        default="", description="Comma-separated hosts never imported as observables."
    )
    confidence: int = Field(
        default=DEFAULT_CONFIDENCE,
        ge=0,
        le=100,
        description="Confidence (0-100) on every object sent: low, as the data is LLM-generated, "
        "so curated data with a higher confidence is never overwritten.",
    )
    dry_run: bool = Field(
        default=False, description="Process and log, but send nothing and keep the state."
    )

    @field_validator("language", "source_formats", "digests", mode="before")
    @classmethod
    def _choices(cls, value: object, info: ValidationInfo) -> object:
        """Comma-separated choices: languages in the order given (the first is primary),
        artefacts in their merge order."""
        if not isinstance(value, str):
            return value
        allowed, accepted = _CHOICES[info.field_name]
        parts = _comma_list(value)
        if info.field_name == "digests" and not parts:
            return ""
        if info.field_name == "source_formats" and parts == ["auto"]:
            parts = list(ARTEFACTS)
        if not parts or any(p not in allowed for p in parts) or len(set(parts)) != len(parts):
            raise ValueError(f"must be {accepted}")
        order = {"source_formats": ARTEFACTS, "digests": DIGEST_KINDS}.get(info.field_name)
        if order is not None:
            parts = [a for a in order if a in parts]
        return ",".join(parts)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value.startswith(("http://", "https://")):
            parts = urlsplit(value)
            if not parts.hostname:
                raise ValueError("must be an http(s) URL with a host")
            return value.rstrip("/")
        folder = Path(value)
        if not folder.is_dir():
            raise ValueError("must be an http(s) base URL or an existing directory")
        if not any(m.is_dir() for y in folder.glob("[0-9][0-9][0-9][0-9]") for m in y.iterdir()):
            raise ValueError(
                "this directory is not laid out like the repository (no YYYY/MM/ folder): "
                "point it at a clone of kidrek/VigilIntel"
            )
        return value

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.language.split(","))

    @property
    def artefacts(self) -> tuple[Artefact, ...]:
        return tuple(a for a in ARTEFACTS if a in self.source_formats.split(","))

    @property
    def digest_kinds(self) -> tuple[DigestKind, ...]:
        return tuple(k for k in DIGEST_KINDS if k in self.digests.split(","))

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_size_mb * 1024 * 1024)

    @property
    def source_is_directory(self) -> bool:
        return not self.source.startswith(("http://", "https://"))

    @property
    def excluded_host_set(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.excluded_hosts.split(",") if h.strip())


class Settings(BaseSettings):
    """All settings; ``notices`` collects deprecation messages to log once a logger exists."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_ignore_empty=True,
        extra="ignore",
        enable_decoding=False,
    )

    opencti: OpenCTISection = OpenCTISection()
    connector: ConnectorSection = ConnectorSection()
    vigilintel: VigilIntelSection = VigilIntelSection()
    notices: list[str] = Field(default_factory=list, exclude=True)

    @model_validator(mode="after")
    def _deprecated_interval(self) -> Settings:
        hours = self.vigilintel.interval_hours
        if hours is not None:
            if "duration_period" not in self.connector.model_fields_set:
                self.connector.duration_period = dt.timedelta(hours=hours)
            self.notices.append(
                "VIGILINTEL_INTERVAL_HOURS is deprecated; use CONNECTOR_DURATION_PERIOD "
                f"(ISO-8601, e.g. PT{int(hours)}H). Effective period: "
                f"{self.connector.duration_period}."
            )
        return self

    def to_helper_config(self) -> dict[str, Any]:
        """The dict pycti's helper reads (its own environment lookups still come first)."""
        c = self.connector
        return {
            "opencti": {
                "url": str(self.opencti.url).rstrip("/") if self.opencti.url else None,
                "token": self.opencti.token.get_secret_value() if self.opencti.token else None,
            },
            "connector": {
                "id": str(c.id) if c.id else None,
                "type": c.type,
                "name": c.name,
                "scope": c.scope,
                "log_level": "warning" if c.log_level == "warn" else c.log_level,
                "duration_period": int(c.duration_period.total_seconds()),
                "run_and_terminate": c.run_and_terminate,
                "expose_metrics": c.expose_metrics,
                "metrics_port": c.metrics_port,
                "queue_threshold": c.queue_threshold,
            },
        }


def _problem(error: Any) -> str:
    """One line per bad setting, naming its variable; never echoing the value (a token?)."""
    message = "must be an http(s) URL" if error["type"].startswith("url_") else error["msg"]
    return f"{_variable_name(error['loc'])}: {message}"


def _variable_name(loc: tuple[int | str, ...]) -> str:
    return "_".join(str(part) for part in loc[:2]).upper()


def _check_yaml_keys(path: Path) -> None:
    """A misspelled key would silently fall back to its default: name it instead. The opencti
    and connector sections may also hold pycti's own keys, which it reads itself."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"could not read configuration file {path}: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected sections opencti, connector and vigilintel")
    known_sections = {
        "opencti": OpenCTISection.model_fields.keys() | PYCTI_KEYS["opencti"],
        "connector": ConnectorSection.model_fields.keys() | PYCTI_KEYS["connector"],
        "vigilintel": VigilIntelSection.model_fields.keys(),
        "mq": PYCTI_KEYS["mq"],
    }
    for section, values in document.items():
        if section not in known_sections:
            known = ", ".join(known_sections)
            raise ConfigError(f"{path}: unknown section {section!r} (known: {known})")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: section {section} must hold keys, not {values!r:.40}")
        for key in sorted(values.keys() - known_sections[section]):
            raise ConfigError(
                f"{path}: unknown key {section}.{key} ({section.upper()}_"
                f"{str(key).upper()} is no setting of this connector or of pycti)"
            )


def load_settings(config_path: Path | None = None) -> Settings:
    """Build settings from the environment and a YAML file; raise ConfigError on any bad value."""
    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"--config: no such file: {config_path}")
    yaml_path = config_path or Path("config.yml")
    if yaml_path.is_file():
        _check_yaml_keys(yaml_path)

    class _FromFiles(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if yaml_path.is_file():
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_path))
            return tuple(sources)

    # Every empty variable means "use the default", but for the digests empty means "none".
    explicit: dict[str, Any] = {}
    if os.environ.get("VIGILINTEL_DIGESTS", None) == "":
        explicit = {"vigilintel": {"digests": ""}}
    try:
        return _FromFiles(**explicit)
    except ValidationError as exc:
        # Never echo the input: it may be a token.
        problems = [_problem(err) for err in exc.errors()]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"could not read configuration file {yaml_path}: {exc}") from None
