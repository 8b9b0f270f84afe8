"""Connector settings: environment variables, then ``config.yml``, then defaults.

Names follow OpenCTI's ``<SECTION>_<FIELD>`` convention (``VIGILINTEL_LOOKBACK_DAYS`` is field
``lookback_days`` of section ``vigilintel``), so the same keys work as environment variables and as
nested YAML. Validation happens here, before any network call, so that a typo stops the process with
the variable's name instead of surfacing later as a confusing network or parsing error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_SOURCE = "https://raw.githubusercontent.com/kidrek/VigilIntel/main"
DEFAULT_LISTING_URL = "https://api.github.com/repos/kidrek/VigilIntel/git/trees/main?recursive=1"
LANGUAGES = ("fr", "en")
SOURCE_FORMATS = ("auto", "stix", "json")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable and what it accepts."""


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    return value.rstrip("/") if not parts.query else value


class OpenCTISection(BaseModel):
    """Where the platform is. Optional here because ``export`` needs no platform; ``run`` checks."""

    url: str | None = None
    token: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)


class ConnectorSection(BaseModel):
    id: str | None = None
    type: Literal["EXTERNAL_IMPORT"] = "EXTERNAL_IMPORT"
    name: str = "VigilIntel"
    scope: str = "stix2"
    log_level: Literal["debug", "info", "warn", "warning", "error"] = "error"
    duration_period: dt.timedelta = dt.timedelta(hours=24)
    run_and_terminate: bool = False

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
    language: str = Field(default="fr", description="fr, en, or fr,en for both")
    lookback_days: int = Field(default=7, ge=0, le=3650)
    interval_hours: float | None = Field(default=None, gt=0)
    start_date: dt.date | None = None
    source: str = DEFAULT_SOURCE
    listing_url: str = DEFAULT_LISTING_URL
    github_token: SecretStr | None = None
    source_formats: Literal["auto", "stix", "json"] = "auto"
    missing_grace_days: int = Field(default=3, ge=0, le=365)
    http_retries: int = Field(default=5, ge=0, le=20)
    http_backoff_factor: float = Field(default=1.0, ge=0, le=60)
    http_timeout: float = Field(default=30.0, gt=0, le=600)
    http_concurrency: int = Field(default=6, ge=1, le=16)
    max_file_size_mb: float = Field(default=20.0, gt=0, le=1024)
    excluded_hosts: str = Field(default="", description="comma-separated reference-site hosts")
    dry_run: bool = False

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = [p.strip().lower() for p in value.split(",") if p.strip()]
        if not parts or any(p not in LANGUAGES for p in parts) or len(set(parts)) != len(parts):
            raise ValueError("must be one of: fr, en, fr,en")
        return ",".join(parts)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value.startswith(("http://", "https://")):
            return _check_http_url(value)
        if not Path(value).is_dir():
            raise ValueError("must be an http(s) base URL or an existing directory")
        return value

    @field_validator("listing_url")
    @classmethod
    def _listing(cls, value: str) -> str:
        return _check_http_url(value)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.language.split(","))

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


def _variable_name(loc: tuple[int | str, ...]) -> str:
    return "_".join(str(part) for part in loc[:2]).upper()


def load_settings(config_path: Path | None = None) -> Settings:
    """Build settings from the environment and a YAML file; raise ConfigError on any bad value."""
    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"--config: no such file: {config_path}")
    yaml_path = config_path or Path("config.yml")

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

    try:
        return _FromFiles()
    except ValidationError as exc:
        # Never echo the input: it may be a token.
        problems = [f"{_variable_name(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"could not read configuration file {yaml_path}: {exc}") from None
