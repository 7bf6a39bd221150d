"""Where things live: the database URL and the data, config, report and backup folders.

No Textual and no Typer here, so the console, the CLI, the tests and the benchmarks all
resolve settings the same way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from officeconsole.errors import ConfigError

APP_NAME = "officeconsole"
ENV_DB = "OFFICECONSOLE_DB"
ENV_HOME = "OFFICECONSOLE_HOME"


@dataclass(frozen=True)
class Paths:
    """Folders the product writes to. OFFICECONSOLE_HOME puts them all under one folder."""

    data_dir: Path
    config_dir: Path
    reports_dir: Path
    backups_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def default_db_path(self) -> Path:
        return self.data_dir / "officeconsole.db"

    @classmethod
    def discover(cls, environ: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get(ENV_HOME)
        if home:
            root = Path(home).expanduser()
            return cls(root / "data", root / "config", root / "reports", root / "backups")
        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        return cls(
            data_dir=data,
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            reports_dir=data / "reports",
            backups_dir=data / "backups",
        )

    def ensure(self) -> None:
        """The folders, owner-only when made here: they hold patient data and the audit key."""
        for folder in (self.data_dir, self.config_dir, self.reports_dir, self.backups_dir):
            if not folder.exists():
                folder.mkdir(parents=True, mode=0o700, exist_ok=True)


def normalize_db_url(value: str) -> str:
    """A SQLAlchemy URL as given, or a plain file path taken as a SQLite database."""
    value = value.strip()
    if not value:
        raise ConfigError("The database setting is empty.")
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().resolve())
    from sqlalchemy.engine import make_url  # SQLAlchemy loads after the first frame is drawn
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ConfigError(f"Not a valid database URL: {value!r}.") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"Unsupported database {backend!r}: use a SQLite file or a postgresql:// URL."
        )
    if backend == "postgresql" and url.get_driver_name() in ("psycopg2", "postgresql"):
        # psycopg 3 is the driver we ship with the `postgres` extra.
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}") from None


def resolve_db_url(
    cli_value: str | None = None,
    environ: Mapping[str, str] | None = None,
    paths: Paths | None = None,
) -> str:
    """--db, then $OFFICECONSOLE_DB, then the config file's [database] url, then the default file."""
    env = os.environ if environ is None else environ
    paths = paths or Paths.discover(env)
    if cli_value:
        return normalize_db_url(cli_value)
    if env.get(ENV_DB):
        return normalize_db_url(env[ENV_DB])
    configured = read_config_file(paths.config_file).get("database", {}).get("url")
    if configured:
        return normalize_db_url(str(configured))
    return normalize_db_url(str(paths.default_db_path))


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages and `officeconsole info`."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
