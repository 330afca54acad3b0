"""HTTP to one source: changes pages and snapshot downloads; every failure is a FeedError."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from nko_openness import __version__
from nko_openness.harvester.validate import FeedFormatError, check_item, check_page

USER_AGENT = f"nko-openness-harvester/{__version__}"
RETRY_STATUSES = (429, 503)
MAX_LINE = 64 * 1024 * 1024  # one HSDS object never comes near this: a longer line is garbage


@cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; one context serves every source of the process.
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class FeedError(RuntimeError):
    """A source could not be read this time; ``str()`` is the Russian message for the report."""


class FeedClient:
    """One source's API root (…/nko/api); ``transport`` lets tests replace the network."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0,
                 retries: int = 2, max_retry_wait: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self.host = urlsplit(self.url).netloc
        self.timeout = timeout
        self.retries, self.max_retry_wait, self.sleep = retries, max_retry_wait, sleep
        self.http = httpx.Client(headers=headers, timeout=timeout, follow_redirects=True,
                                 transport=transport, verify=_tls())

    def close(self) -> None:
        self.http.close()

    # -- requests --------------------------------------------------------------------------

    def _send(self, path: str, params: dict | None = None, headers: dict | None = None,
              stream: bool = False) -> httpx.Response:
        """A GET that retries 429/503 when the source asks to (Retry-After); errors → FeedError."""
        attempt = 0
        while True:
            try:
                request = self.http.build_request("GET", self.url + path, params=params,
                                                  headers=headers)
                response = self.http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                raise FeedError(f"Источник {self.host} не ответил за {self.timeout:g} с.") from exc
            except httpx.HTTPError as exc:
                raise FeedError(f"Источник {self.host} недоступен: {exc}.") from exc
            wait = _retry_after(response)
            if (response.status_code in RETRY_STATUSES and attempt < self.retries
                    and wait is not None and wait <= self.max_retry_wait):
                response.close()
                attempt += 1
                self.sleep(wait)
                continue
            if response.status_code >= 400:
                if stream:
                    response.read()
                raise FeedError(_http_message(response, self.host))
            return response

    def changes(self, after: int, limit: int, etag: str | None = None
                ) -> tuple[list[dict], int, bool, int | None, str | None] | None:
        """One checked page: (items, next, has_more, latest_seq, etag); None on 304."""
        headers = {"If-None-Match": etag} if etag else None
        response = self._send("/v1/changes", {"after": after, "limit": limit}, headers)
        if response.status_code == 304:
            return None
        try:
            body = response.json()
        except ValueError as exc:
            raise FeedFormatError(f"Источник вернул не JSON на запрос изменений: {exc}.") from exc
        items, next_seq, has_more, latest = check_page(body, after)
        return items, next_seq, has_more, latest, response.headers.get("ETag")

    def download_snapshot(self, fmt: str, into: IO[bytes],
                          on_bytes: Callable[[int], None] | None = None) -> None:
        """Stream the snapshot into a file: the network never holds a database transaction."""
        response = self._send(f"/v1/snapshot.{fmt}", stream=True)
        try:
            for chunk in response.iter_bytes():
                into.write(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
        except httpx.TimeoutException as exc:
            raise FeedError(f"Источник {self.host} оборвал выдачу снимка: нет данных "
                            f"{self.timeout:g} с.") from exc
        except httpx.HTTPError as exc:
            raise FeedError(f"Загрузка снимка с {self.host} прервана: {exc}.") from exc
        finally:
            response.close()
        into.seek(0)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _http_message(response: httpx.Response, host: str) -> str:
    detail = ""
    try:
        error = response.json().get("error", {})
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            detail = ": " + error["message"][:300]
    except (ValueError, AttributeError):
        pass
    if response.status_code in (401, 403):
        return (f"Источник {host} отказал в доступе (HTTP {response.status_code}): "
                f"проверьте токен{detail}.")
    return f"Источник {host} ответил ошибкой HTTP {response.status_code}{detail}."


# -- snapshot files ---------------------------------------------------------------------------


class Snapshot:
    """A downloaded snapshot: ``as_of_seq`` and the checked items, read in constant memory."""

    def __init__(self, fh: IO[bytes], fmt: str):
        self.fh, self.fmt = fh, fmt
        self._items = _ndjson(fh) if fmt == "ndjson" else _json(fh)
        header = next(self._items)
        seq = header.get("as_of_seq") if isinstance(header, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise FeedFormatError("В снимке нет as_of_seq.")
        self.as_of_seq: int = seq

    def items(self) -> Iterator[dict[str, Any]]:
        for n, item in enumerate(self._items, 1):
            yield check_item(item, f"Элемент {n} снимка")


def _ndjson(fh: IO[bytes]) -> Iterator[Any]:
    """Header line, items, then the end line whose count proves the download is whole."""
    lines = _lines(fh)
    header = _load(next(lines, None), "первая строка снимка")
    if not isinstance(header, dict) or header.get("type") != "snapshot":
        raise FeedFormatError("Снимок NDJSON не начинается со строки {\"type\":\"snapshot\"}.")
    yield header
    count = 0
    for line in lines:
        item = _load(line, f"строка {count + 2} снимка")
        if isinstance(item, dict) and item.get("type") == "end":
            if item.get("count") != count:
                raise FeedFormatError(f"Снимок неполон: в конце указано {item.get('count')!r} "
                                      f"записей, получено {count}.")
            if next(lines, None) is not None:
                raise FeedFormatError("После строки конца снимка есть ещё данные.")
            return
        yield item
        count += 1
    raise FeedFormatError(f"Снимок оборван: нет строки конца (получено {count} записей).")


def _lines(fh: IO[bytes]) -> Iterator[bytes]:
    while True:
        line = fh.readline(MAX_LINE)
        if not line:
            return
        if len(line) >= MAX_LINE:
            raise FeedFormatError("Снимок содержит слишком длинную строку.")
        if line.strip():
            yield line


def _load(line: bytes | None, where: str) -> Any:
    if line is None:
        raise FeedFormatError("Снимок пуст.")
    try:
        return json.loads(line)
    except ValueError as exc:
        raise FeedFormatError(f"Не JSON в {where}: {exc}.") from exc


class _Reader:
    """Incremental JSON values from a file: a buffer refilled as raw_decode needs more text."""

    def __init__(self, fh: IO[bytes], chunk: int = 1 << 16):
        import codecs

        self.fh, self.chunk = fh, chunk
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.eof = "", 0, False
        self.json = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(self.chunk)
        self.eof = not data
        self.buf = self.buf[self.pos:] + self.decoder.decode(data, final=self.eof)
        self.pos = 0
        if len(self.buf) > MAX_LINE:
            raise FeedFormatError("Снимок JSON содержит слишком большой объект.")
        return True

    def char(self) -> str:
        """The next non-space character, consumed; '' at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                self.pos += 1
                return self.buf[self.pos - 1]
            if not self._fill():
                return ""

    def unread(self) -> None:
        self.pos -= 1

    def value(self) -> Any:
        """The next JSON value; a number or literal cut by the buffer's end waits for more."""
        if not self.char():
            raise FeedFormatError("Снимок JSON оборван.")
        self.unread()
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:
                    self.pos = end
                    return value
            except ValueError as exc:
                if self.eof:
                    raise FeedFormatError(f"Снимок JSON оборван или испорчен: {exc}.") from exc
            self._fill()


def _json(fh: IO[bytes]) -> Iterator[Any]:
    """``{"as_of_seq":…, …, "items":[…], "count":N}`` with the items decoded one by one."""
    reader = _Reader(fh)
    if reader.char() != "{":
        raise FeedFormatError("Снимок JSON не начинается с объекта.")
    header: dict[str, Any] = {}
    count = None
    seen_items = 0
    has_items = False
    while True:
        key = reader.value()
        if not isinstance(key, str) or reader.char() != ":":
            raise FeedFormatError("Снимок JSON испорчен: ожидался ключ объекта.")
        if key == "items":
            if reader.char() != "[" or has_items:
                raise FeedFormatError("Снимок JSON: items не является списком.")
            has_items = True
            yield header
            if reader.char() != "]":
                reader.unread()
                while True:
                    yield reader.value()
                    seen_items += 1
                    sep = reader.char()
                    if sep == "]":
                        break
                    if sep != ",":
                        raise FeedFormatError("Снимок JSON оборван или испорчен внутри items.")
        elif key == "count":
            count = reader.value()
        else:
            header[key] = reader.value()
        sep = reader.char()
        if sep == "}":
            break
        if sep != ",":
            raise FeedFormatError("Снимок JSON оборван или испорчен.")
    if not has_items:
        raise FeedFormatError("В снимке JSON нет списка items.")
    if count != seen_items:
        raise FeedFormatError(f"Снимок неполон: в конце указано {count!r} записей, "
                              f"получено {seen_items}.")
    if reader.char() != "":
        raise FeedFormatError("После снимка JSON есть лишние данные.")
