"""Review settings: `[tool.secreview]` in pyproject.toml, overridden by flags.

```toml
[tool.secreview]
exclude = ["migrations/*", "docs"]      # globs on paths relative to the review root; one
                                        # without "/" matches a file or folder name anywhere
disable = ["py.weak-hash"]              # rule ids not to run
fail-on = "medium"                      # exit 1 only for findings at or above this severity
include-tests = false                   # report harmless-in-tests weaknesses in test code too
max-file-size = 2097152                 # bytes; larger files are reported as not analysed
file-time-limit = 120                   # seconds per file; a file that takes longer is reported
                                        # as not analysed (0: no limit)
[tool.secreview.severity]               # severity overrides per rule
"py.tls-verification-disabled" = "medium"
```
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from secreview.model import Severity
from secreview.python.source import DEFAULT_MAX_FILE_SIZE
from secreview.timelimit import DEFAULT_SECONDS


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class Config:
    exclude: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    include_tests: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Seconds one file's analysis may take (0: no limit); see secreview.timelimit.
    file_time_limit: float = DEFAULT_SECONDS
    # Extra taint model files (absolute paths; relative ones in pyproject.toml
    # are taken from the directory of that file).
    models: tuple[str, ...] = ()
    source: str | None = None  # the file the settings came from

    def merged(self, **overrides: Any) -> "Config":
        """A copy with every override that is not None applied; list-valued
        overrides add to the configured ones."""
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if key in ("exclude", "disable"):
                changes[key] = tuple(dict.fromkeys((*getattr(self, key), *value)))
            elif key == "severity_overrides":
                changes[key] = {**self.severity_overrides, **value}
            else:
                changes[key] = value
        return replace(self, **changes)


_KNOWN_KEYS = {"exclude", "disable", "fail-on", "include-tests", "max-file-size", "file-time-limit", "models",
               "severity"}


def find_pyproject(start: str) -> str | None:
    """The nearest pyproject.toml at or above `start` that has [tool.secreview]."""
    current = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                with open(candidate, "rb") as handle:
                    tool = tomllib.load(handle).get("tool", {})
            except (OSError, tomllib.TOMLDecodeError):
                return candidate  # let load_config report the problem
            if not isinstance(tool, dict) or "secreview" in tool:
                return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table")
    table = tool.get("secreview", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.secreview] must be a table")
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [tool.secreview]: {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KNOWN_KEYS))})")
    return Config(
        exclude=_str_list(path, table, "exclude"),
        disable=_str_list(path, table, "disable"),
        fail_on=_severity(path, "fail-on", table.get("fail-on", "low")),
        severity_overrides={
            str(rule): _severity(path, f"severity.{rule}", value)
            for rule, value in _table(path, table, "severity").items()
        },
        include_tests=_bool(path, table, "include-tests"),
        max_file_size=_int(path, table, "max-file-size", DEFAULT_MAX_FILE_SIZE),
        file_time_limit=_seconds(path, table, "file-time-limit", DEFAULT_SECONDS),
        models=tuple(os.path.join(os.path.dirname(os.path.abspath(path)), m)
                     for m in _str_list(path, table, "models")),
        source=path,
    )


def _str_list(path: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of strings")
    return tuple(value)


def _table(path: str, table: dict[str, Any], key: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table")
    return value


def _bool(path: str, table: dict[str, Any], key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: `{key}` must be true or false")
    return value


def _int(path: str, table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{path}: `{key}` must be a positive whole number of bytes")
    return value


def _seconds(path: str, table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < float("inf"):
        raise ConfigError(f"{path}: `{key}` must be a number of seconds, 0 or more (0: no limit)")
    return float(value)


def _severity(path: str, key: str, value: Any) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{path}: `{key}`: {exc}") from None
