"""The methodology v3.0 files: list.csv, meta.csv, structure-*.csv and data-*.csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from nko_openness.models import Change

from .datasets import DATASETS, Dataset, all_columns, rows

STANDARD_VERSION = "http://opendata.gosmonitor.ru/standard/3.0"
# The structure's version date: raise NKO_OPENDATA_STRUCTURE_DATE when the columns change
# (a plugin field added or removed), so consumers see a new structure, as v3.0 asks.
DEFAULT_STRUCTURE_DATE = "20250101"
ROWS_PER_CHUNK = 200


@dataclass(frozen=True)
class Publisher:
    """The owner of the sets and the person responsible, from the host's NKO_OPENDATA_*."""

    owner_inn: str | None
    creator: str
    name: str | None
    phone: str | None
    email: str | None
    structure_date: str

    @classmethod
    def from_app(cls, app: Flask) -> Publisher:
        config = app.config
        return cls(
            owner_inn=config.get("NKO_OPENDATA_OWNER_INN") or None,
            creator=config.get("NKO_OPENDATA_CREATOR") or config.get(
                "NKO_SITE_NAME", "Некоммерческие организации"),
            name=config.get("NKO_OPENDATA_PUBLISHER_NAME") or None,
            phone=config.get("NKO_OPENDATA_PUBLISHER_PHONE") or None,
            email=config.get("NKO_OPENDATA_PUBLISHER_EMAIL") or None,
            structure_date=str(config.get("NKO_OPENDATA_STRUCTURE_DATE")
                               or DEFAULT_STRUCTURE_DATE),
        )

    def identifier(self, dataset: Dataset) -> str:
        return f"{self.owner_inn}-{dataset.code}" if self.owner_inn else dataset.code


def find_dataset(publisher: Publisher, identifier: str) -> Dataset | None:
    for dataset in DATASETS:
        if publisher.identifier(dataset) == identifier:
            return dataset
    return None


def _day(value: datetime | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def versions(session) -> tuple[str | None, str | None]:
    """(created, modified) as YYYYMMDD: the days of the first and the latest outbox change.

    Every set depends on organizations (their names are in the services and projects
    sets), so any change is a new data version of all three; a few extra versions are
    cheaper than a missed one. Found through the seq index, not by scanning the outbox.
    """
    def at(order):
        return session.scalar(select(Change.created_at).order_by(order).limit(1))

    return _day(at(Change.seq.asc())), _day(at(Change.seq.desc()))


@dataclass(frozen=True)
class Names:
    """File names of one set's current version."""

    data_date: str
    structure_date: str

    @property
    def structure(self) -> str:
        return f"structure-{self.structure_date}.csv"

    @property
    def data(self) -> str:
        return f"data-{self.data_date}-structure-{self.structure_date}.csv"


def names(publisher: Publisher, session) -> Names:
    _created, modified = versions(session)
    return Names(modified or publisher.structure_date, publisher.structure_date)


def to_csv(records: Iterable[Iterable[str]]) -> Iterator[str]:
    """Comma-separated, quoted where needed, CRLF line ends (RFC 4180), a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for record in records:
        writer.writerow(record)
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def list_rows(publisher: Publisher, url_of) -> list[list[str]]:
    """The site's register of open data sets (``url_of(identifier, file)``: absolute URL)."""
    out = [["property", "title", "value", "format"],
           ["standardversion", "Версия методических рекомендаций", STANDARD_VERSION, ""]]
    for dataset in DATASETS:
        identifier = publisher.identifier(dataset)
        out.append([identifier, dataset.title, url_of(identifier, "meta.csv"), "csv"])
    return out


def meta_rows(publisher: Publisher, dataset: Dataset, session, url_of) -> list[list[str]]:
    """The passport of one set: property,value rows."""
    identifier = publisher.identifier(dataset)
    created, modified = versions(session)
    current = names(publisher, session)
    out = [
        ["property", "value"],
        ["standardversion", STANDARD_VERSION],
        ["identifier", identifier],
        ["title", dataset.title],
        ["description", dataset.description],
        ["creator", publisher.creator],
        ["created", created or publisher.structure_date],
        ["modified", modified or publisher.structure_date],
        ["subject", dataset.subject],
        ["format", "csv"],
        [current.data[:-4], url_of(identifier, current.data)],
        [current.structure[:-4], url_of(identifier, current.structure)],
    ]
    for key, value in (("publishername", publisher.name), ("publisherphone", publisher.phone),
                       ("publishermbox", publisher.email)):
        if value:
            out.append([key, value])
    return out


def structure_rows(app: Flask, dataset: Dataset) -> list[list[str]]:
    out = [["field name", "english description", "russian description", "format"]]
    out += [[c.name, c.en, c.ru, c.format] for c in all_columns(app, dataset)]
    return out


def data_rows(app: Flask, dataset: Dataset, base_url: str) -> Iterator[list[str]]:
    yield [c.name for c in all_columns(app, dataset)]
    yield from rows(app, dataset, base_url)
