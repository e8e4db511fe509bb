"""The user's config file: defaults for what a user would otherwise type every time.

The file is ``$KORUS_CONFIG`` when that is set, else ``$XDG_CONFIG_HOME/korus/config.toml``,
else ``~/.config/korus/config.toml``; a missing file is no config. Each setting is a
default only: a flag on the command line wins, and ``--no-config`` leaves the file unread.

    reporter = "USA"
    partner = "Japan"
    unit = "billions"
    format = "csv"
    data = ["~/trade/census", "~/trade/comtrade"]
    cache_dir = "~/scratch/korus-cache"
    encoding = "cp1252"

Keys (anything named key, token, secret or password) are refused: they belong in the
environment, never in a file that is copied, shared and backed up. No click here: the
command line turns a ``ConfigError`` into one ``Error: ...`` line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from korus.errors import KorusError

ENV_FILE = "KORUS_CONFIG"

# setting -> what it is, for messages and `korus config show`
SETTINGS = {
    "reporter": "the reporting country (--reporter)",
    "partner": "the partner country (--partner)",
    "unit": "the unit of money values (--unit)",
    "format": "the output format (--format)",
    "data": "files or folders read instead of the shipped data (--data)",
    "encoding": "the files' text encoding (--encoding)",
    "cache_dir": "the folder of korus's cache (as KORUS_CACHE_DIR; the environment wins)",
}
SECRET_WORDS = ("key", "token", "secret", "password")


class ConfigError(KorusError):
    """A config file korus cannot use: unreadable, not TOML, or holding a wrong setting."""


@dataclass(frozen=True)
class Config:
    """The config file in force: where it is, how it was found, and its settings."""

    path: Path
    found_by: str  # "KORUS_CONFIG", "XDG_CONFIG_HOME" or "~/.config"
    exists: bool
    values: dict[str, object] = field(default_factory=dict)


def location(environ: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """Return where the config file is looked for, and which rule found the place."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_FILE):
        return Path(environ[ENV_FILE]).expanduser(), ENV_FILE
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"]) / "korus" / "config.toml", "XDG_CONFIG_HOME"
    return Path("~/.config/korus/config.toml").expanduser(), "~/.config"


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Return the config in force, its settings checked; a file that ``KORUS_CONFIG``
    names must exist, the default places may hold none."""
    import tomllib

    path, found_by = location(environ)
    if not path.is_file():
        if found_by == ENV_FILE:
            raise ConfigError(
                f"{path}: no such config file (named by {ENV_FILE}); create it, or unset {ENV_FILE}"
            )
        return Config(path, found_by, exists=False)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not a TOML file ({exc}); fix it, or use --no-config") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return Config(path, found_by, exists=True, values=_checked(raw, path))


def _secrets(table: Mapping[str, object], prefix: str = "") -> list[str]:
    """Return the keys, at any depth, whose names say they hold a secret."""
    found = []
    for name, value in table.items():
        if any(word in name.lower() for word in SECRET_WORDS):
            found.append(prefix + name)
        if isinstance(value, Mapping):
            found += _secrets(value, f"{prefix}{name}.")
    return found


def _checked(raw: Mapping[str, object], path: Path) -> dict[str, object]:
    """Return the settings of a parsed file, each checked and its paths expanded."""
    secrets = _secrets(raw)
    if secrets:
        raise ConfigError(
            f"{path}: {', '.join(secrets)}: a key, token, secret or password is never read "
            "from the config file; keep it in the environment only, and remove it from the file"
        )
    unknown = [name for name in raw if name not in SETTINGS]
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {', '.join(map(repr, unknown))}; the settings are "
            f"{', '.join(SETTINGS)}"
        )
    values: dict[str, object] = {}
    for name, value in raw.items():
        values[name] = _value(name, value, path)
    return values


def _value(name: str, value: object, path: Path) -> object:
    where = f"{path}: {name}"
    if name == "data":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{where}: give a path or a list of paths")
        return tuple(os.path.expanduser(item) for item in items)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: give a text, in quotes")
    if name in ("reporter", "partner"):
        from korus import countries

        try:
            countries.resolve(value)
        except KorusError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return value
    if name == "unit":
        from korus.render import unit_named

        if unit_named(value) is None:
            raise ConfigError(f"{where}: {value!r} is not usd, thousands, millions or billions")
        return unit_named(value)
    if name == "format":
        from korus.render import FORMATS

        if value not in FORMATS:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(FORMATS)}")
        return value
    if name == "encoding":
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ConfigError(f"{where}: {value!r} is not an encoding Python knows") from None
        return value
    return os.path.expanduser(value)  # cache_dir
