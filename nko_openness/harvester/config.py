"""The harvester's TOML configuration: the replica database, settings and the list of sources."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT = 30.0
SNAPSHOT_FORMATS = ("ndjson", "json")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix, in Russian."""


@dataclass(frozen=True)
class SourceConfig:
    """One municipal feed: ``url`` is the module's API root, e.g. https://city.example/nko/api."""

    name: str
    url: str
    title: str | None = None
    token: str | None = field(default=None, repr=False)
    snapshot_format: str = "ndjson"

    @property
    def label(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class HarvestConfig:
    sources: tuple[SourceConfig, ...]
    database: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = DEFAULT_TIMEOUT


def parse_duration(text: str) -> float:
    """'15m', '1h30m', '45s', '2d' or plain seconds → seconds (at least one)."""
    value = text.strip().lower()
    if value.isdigit():
        seconds = int(value)
    else:
        parts = _DURATION.findall(value)
        if not parts or _DURATION.sub("", value).strip():
            raise ConfigError(f"Непонятный интервал «{text}»: пишите, например, 15m, 1h или 90s.")
        seconds = sum(int(n) * _UNITS[unit] for n, unit in parts)
    if seconds < 1:
        raise ConfigError("Интервал должен быть не меньше одной секунды.")
    return float(seconds)


def load_config(path: str | Path) -> HarvestConfig:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Файл настроек не найден: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Ошибка в файле настроек {path}: {exc}") from exc
    return parse_config(data)


def parse_config(data: dict[str, Any]) -> HarvestConfig:
    unknown = set(data) - {"database", "page_size", "timeout", "sources"}
    if unknown:
        raise ConfigError(f"Неизвестные параметры в настройках: {', '.join(sorted(unknown))}.")
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError("В настройках нет источников: добавьте хотя бы одну секцию [[sources]].")
    sources = [_source(item, n) for n, item in enumerate(raw_sources, 1)]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"Имена источников повторяются: {', '.join(duplicates)}.")
    database = data.get("database")
    if database is not None and not (isinstance(database, str) and database.strip()):
        raise ConfigError("Параметр database должен быть адресом базы SQLAlchemy (строкой).")
    return HarvestConfig(
        sources=tuple(sources), database=database,
        page_size=_number(data, "page_size", DEFAULT_PAGE_SIZE, 1, 1000, int),
        timeout=_number(data, "timeout", DEFAULT_TIMEOUT, 0.1, 3600, float),
    )


def _number(data: dict, key: str, default, lo, hi, kind):
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ConfigError(f"Параметр {key} должен быть числом от {lo} до {hi}.")
    return kind(value)


def _source(item: Any, n: int) -> SourceConfig:
    where = f"Источник №{n}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: ожидалась таблица [[sources]].")
    unknown = set(item) - {"name", "title", "url", "token", "token_env", "snapshot_format"}
    if unknown:
        raise ConfigError(f"{where}: неизвестные параметры {', '.join(sorted(unknown))}.")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: name — латиница, цифры, «-», «_» или «.», до 100 знаков.")
    url = item.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"Источник {name}: url должен быть адресом http(s) API модуля "
                          "(например, https://city.example/nko/api).")
    fmt = item.get("snapshot_format", "ndjson")
    if fmt not in SNAPSHOT_FORMATS:
        raise ConfigError(f"Источник {name}: snapshot_format — ndjson или json.")
    token = item.get("token")
    if "token_env" in item:
        token = os.environ.get(str(item["token_env"]))
        if not token:
            raise ConfigError(f"Источник {name}: переменная окружения {item['token_env']} "
                              "с токеном не задана.")
    title = item.get("title")
    return SourceConfig(name=name, url=url.rstrip("/"), title=title if title else None,
                        token=token or None, snapshot_format=fmt)
