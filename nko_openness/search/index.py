"""Keeps the search index in step with publishing: documents, facet values and FTS5 rows.

Workflow calls :func:`sync_record` / :func:`drop_record` inside the transaction that changes
a record's visibility, so the index never shows unpublished text, not even for a moment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    Engine,
    and_,
    column,
    delete,
    insert,
    inspect,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from nko_openness.catalog import category_tally
from nko_openness.core.i18n import TranslatedLabels, category_name, lazy_gettext
from nko_openness.core.vocabularies import ACTIVITY_TYPES, LEGAL_FORMS
from nko_openness.models import Organization, Project, Service, sort_key
from nko_openness.models.search import (
    FTS_TABLE,
    VECTOR_COLUMN,
    VECTOR_INDEX,
    SearchDocument,
    SearchFacet,
    backend_ddl,
)
from nko_openness.search.text import fast_html_to_text, stemmed_text

ENTITY_TYPES: dict[type, str] = {Organization: "organization", Service: "service",
                                 Project: "program"}
MAX_BODY = 20_000
fts_table = table(FTS_TABLE, column("rowid"), column("title"), column("body"))


# -- facets --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Facet:
    """A filter with counts on the search page, and how to index a record's values for it.

    ``values(record)`` returns the strings to index (an empty iterable for none);
    ``labels`` maps a value to its label, or is a callable ``(session, values) -> dict``
    for labels that live in the database. ``entities`` limits which records it applies to.
    """

    name: str
    label: Any
    values: Callable[[Any], Iterable[str]]
    labels: dict[str, Any] | Callable[[Session, list[str]], dict[str, str]] = field(
        default_factory=dict)
    entities: tuple[str, ...] = ("organization", "service", "program")
    position: int = 100

    def label_for(self, session: Session, values: list[str]) -> dict[str, str]:
        if callable(self.labels):
            return self.labels(session, values)
        return {v: str(self.labels.get(v, v)) for v in values}


def _kind(record) -> str:
    """"organization", "service" or "program", for an ORM record or a rebuild row."""
    kind = ENTITY_TYPES.get(type(record))
    return kind if kind is not None else record.entity_type


def _org(record) -> Organization:
    return record if _kind(record) == "organization" else record.organization


def _category_values(record) -> list[str]:
    # A record in a sub-category is found under its parent too, as on the category pages.
    values = []
    for category in record.categories:
        values.append(category.slug)
        if category.parent is not None:
            values.append(category.parent.slug)
    return values


def _category_labels(session: Session, values: list[str]) -> dict[str, str]:
    from nko_openness.models import BeneficiaryCategory

    categories = session.scalars(select(BeneficiaryCategory)
                                 .where(BeneficiaryCategory.slug.in_(values)))
    return {c.slug: category_name(c) for c in categories}


# Age groups a service's age range can overlap (a service without limits suits every age).
AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "children": (0, 17), "youth": (14, 35), "adults": (18, 54), "seniors": (55, None),
}
AGE_LABELS = {
    "children": lazy_gettext("Дети (до 18 лет)"),
    "youth": lazy_gettext("Молодёжь (14–35 лет)"),
    "adults": lazy_gettext("Взрослые (18–54 года)"),
    "seniors": lazy_gettext("Старшее поколение (55 лет и старше)"),
}


def _age_values(service: Service) -> list[str]:
    low, high = service.minimum_age, service.maximum_age
    return [
        name for name, (group_low, group_high) in AGE_GROUPS.items()
        if (high is None or high >= group_low)
        and (low is None or group_high is None or low <= group_high)
    ]


BUILTIN_FACETS = (
    Facet("type", lazy_gettext("Что искать"), lambda r: [_kind(r)],
          {"organization": lazy_gettext("Организации"), "service": lazy_gettext("Услуги"),
           "program": lazy_gettext("Проекты")}, position=10),
    Facet("category", lazy_gettext("Категория граждан"), _category_values, _category_labels,
          position=20),
    Facet("fee", lazy_gettext("Стоимость"), lambda s: ["free" if s.is_free else "paid"],
          {"free": lazy_gettext("Бесплатно"), "paid": lazy_gettext("Платно")},
          entities=("service",), position=30),
    Facet("age", lazy_gettext("Возраст"), _age_values, AGE_LABELS, entities=("service",),
          position=40),
    Facet("activity", lazy_gettext("Вид деятельности"), lambda r: list(_org(r).activities),
          TranslatedLabels(ACTIVITY_TYPES), position=50),
    Facet("locality", lazy_gettext("Населённый пункт"),
          lambda r: [" ".join(_org(r).locality.split())[:255]] if _org(r).locality else [],
          position=60),
)
RESERVED_NAMES = frozenset({"q", "page"})
_REGISTRY_KEY = "nko_openness.search_facets"


def register_facet(app: Flask, facet: Facet) -> None:
    """Add a facet for this app (plugin code calls it from its setup; replaces a same name)."""
    if facet.name in RESERVED_NAMES:
        raise ValueError(f"Имя фильтра {facet.name!r} занято параметром поиска.")
    registry = app.extensions.setdefault(_REGISTRY_KEY, {})
    registry[facet.name] = facet


_FIELD_ENTITIES = {"organization": "organization", "service": "service", "project": "program"}


def _extra_values(name: str):
    def values(record) -> list[str]:
        value = (record.extra or {}).get(name)
        if value in (None, "", []):
            return []
        return [str(v)[:255] for v in (value if isinstance(value, list | tuple) else [value])]
    return values


def field_spec_facets(app: Flask) -> list[Facet]:
    """Facets for the public choice fields that plugins declare (``nko_openness.fields.specs``).

    A field with the same name on several entities is one facet over all of them.
    """
    from nko_openness.fields.specs import field_specs
    from nko_openness.fields.values import CHOICE_TYPES

    found: dict[str, tuple[Any, list[str]]] = {}
    for entity, entity_type in _FIELD_ENTITIES.items():
        for spec in field_specs(app, entity):
            if spec.type in CHOICE_TYPES and spec.public and spec.name not in RESERVED_NAMES:
                found.setdefault(spec.name, (spec, []))[1].append(entity_type)
    return [
        Facet(name, spec.label, _extra_values(name),
              {c.value: c.label for c in spec.choices}, entities=tuple(entities),
              position=200)
        for name, (spec, entities) in found.items()
    ]


def has_registered_facets(app: Flask | None) -> bool:
    """Whether ``register_facet`` added a facet to this app."""
    return app is not None and bool(app.extensions.get(_REGISTRY_KEY))


def facets(app: Flask | None = None) -> list[Facet]:
    """This app's facets in display order: built-in, then registered, then plugin fields."""
    merged = {f.name: f for f in BUILTIN_FACETS}
    if app is None and has_app_context():
        app = current_app._get_current_object()
    if app is not None:
        for facet in field_spec_facets(app):
            merged.setdefault(facet.name, facet)
        merged.update(app.extensions.get(_REGISTRY_KEY, {}))
    return sorted(merged.values(), key=lambda f: (f.position, f.name))


# -- documents -----------------------------------------------------------------------------

def _names(items) -> list[str]:
    return [item.name for item in items]


def _body_parts(record) -> list[str | None]:
    org = _org(record)
    kind = _kind(record)
    if kind == "organization":
        return [record.alternate_name, fast_html_to_text(record.description),
                fast_html_to_text(record.mission), LEGAL_FORMS.get(record.legal_form),
                record.locality, record.address,
                *(ACTIVITY_TYPES.get(a, a) for a in record.activities),
                *_names(record.categories)]
    common = [record.alternate_name, fast_html_to_text(record.description)]
    if kind == "service":
        specific = [record.eligibility_description, record.fees_description,
                    record.application_process, record.schedule_description,
                    record.service_area, record.address]
    else:
        specific = [fast_html_to_text(record.goal), fast_html_to_text(record.tasks),
                    record.geography, record.partners, *(r.indicator for r in record.results),
                    *(f.funder for f in record.fundings)]
    return [*common, *specific, *_names(record.categories), org.name, org.locality]


def _document(record) -> dict[str, Any]:
    org = _org(record)
    body = "\n".join(p.strip() for p in _body_parts(record) if p and p.strip())[:MAX_BODY]
    kind = _kind(record)
    is_service = kind == "service"
    return {
        "entity_type": kind, "entity_id": record.id,
        "entity_uuid": record.uuid, "organization_id": org.id,
        "slug": record.slug if kind == "organization" else None,
        "title": record.name, "sort_title": sort_key(record.name)[:500],
        "organization_name": org.name, "body": body, "locality": org.locality,
        "is_free": record.is_free if is_service else None,
        "minimum_age": record.minimum_age if is_service else None,
        "maximum_age": record.maximum_age if is_service else None,
    }


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _delete_documents(session: Session, condition) -> Counter[int]:
    """Delete the matching documents; returns what they took from the category tally."""
    ids = select(SearchDocument.id).where(condition)
    removed = category_tally.remove_entries(session, ids)
    if _is_sqlite(session):
        session.execute(delete(fts_table).where(fts_table.c.rowid.in_(ids)))
    session.execute(delete(SearchFacet).where(SearchFacet.document_id.in_(ids)),
                    execution_options={"synchronize_session": False})
    session.execute(delete(SearchDocument).where(condition),
                    execution_options={"synchronize_session": "fetch"})
    return removed


@dataclass
class PreparedDocuments:
    """What records put in the index, worked out without the database: the rebuild builds
    the next batch in a worker thread while the current one is inserted."""

    documents: list[dict[str, Any]]
    facet_values: list[list[tuple[str, str]]]  # per document: (facet, value)
    categories: list[list[int] | None]  # per document; None for an organization (not counted)
    fts: list[tuple[str, str]] | None  # per document: stemmed title and body, SQLite only


def prepare_documents(records: list, facet_list: list[Facet],
                      fts: bool) -> PreparedDocuments:
    documents = [_document(r) for r in records]
    facet_values = [
        [(facet.name, value) for facet in facet_list if kind in facet.entities
         for value in dict.fromkeys(v for v in facet.values(record) if v)]
        for record, kind in ((r, _kind(r)) for r in records)]
    categories = [None if _kind(r) == "organization" else [c.id for c in r.categories]
                  for r in records]
    stems = [(stemmed_text(d["title"]), stemmed_text(d["body"])) for d in documents] \
        if fts else None
    return PreparedDocuments(documents, facet_values, categories, stems)


def _insert_many(session: Session, table, rows: list[tuple]) -> None:
    """Rows of ``table``'s columns, straight to the driver: SQLAlchemy's per-row parameter
    handling cost as much as the inserts. PostgreSQL gets one array per column
    (``unnest``): one statement instead of one per row."""
    if not rows:
        return
    connection = session.connection()
    columns = ", ".join(c.name for c in table.c)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{c.type.compile(connection.dialect)}[]" for c in table.c)
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({columns}) SELECT * FROM unnest({arrays})",
            tuple(list(values) for values in zip(*rows, strict=True)))
    else:  # SQLite's qmark parameters
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(table.c))})",
            rows)


def store_documents(session: Session, prepared: PreparedDocuments, *,
                    fresh: bool = False) -> Counter[int]:
    """Insert prepared documents; returns what they add to the category tally.

    ``fresh``: the FTS table was emptied in this transaction (a rebuild), no stale rows.
    """
    documents = prepared.documents
    if not documents:
        return Counter()
    # A plain executemany, then the new ids through the unique (entity_type, entity_id)
    # index: RETURNING with executemany costs quadratic time on SQLite.
    session.execute(insert(SearchDocument.__table__), documents)
    rows = session.execute(select(SearchDocument.id, SearchDocument.entity_type,
                                  SearchDocument.entity_id)
                           .where(_of_keys((d["entity_type"], d["entity_id"])
                                           for d in documents)))
    id_of = {(entity_type, entity_id): id_ for id_, entity_type, entity_id in rows}
    ids = [id_of[(d["entity_type"], d["entity_id"])] for d in documents]
    _insert_many(session, SearchFacet.__table__, [
        (document_id, name, value)
        for document_id, values in zip(ids, prepared.facet_values, strict=True)
        for name, value in values])
    added = category_tally.add_entries(session, [
        (document_id, category_ids)
        for document_id, category_ids in zip(ids, prepared.categories, strict=True)
        if category_ids is not None])
    if prepared.fts is not None:
        if not fresh:
            # Rows deleted around this module (raw SQL, a cascade) leave their FTS rows
            # behind; they never match (queries join the documents), but a reused id must
            # not inherit one.
            session.execute(delete(fts_table).where(fts_table.c.rowid.in_(ids)))
        _insert_many(session, fts_table, [
            (document_id, title, body)
            for document_id, (title, body) in zip(ids, prepared.fts, strict=True)])
    return added


def _write(session: Session, records: list, facet_list: list[Facet]) -> Counter[int]:
    """Insert the documents of ``records``; returns what they add to the category tally."""
    return store_documents(session, prepare_documents(records, facet_list, _is_sqlite(session)))


def _of_keys(keys: Iterable[tuple[str, int]]) -> Any:
    by_type: dict[str, list[int]] = {}
    for kind, id_ in keys:
        by_type.setdefault(kind, []).append(id_)
    return or_(*(and_(SearchDocument.entity_type == t, SearchDocument.entity_id.in_(ids))
                 for t, ids in by_type.items()))


def _of(records) -> Any:
    return _of_keys((_kind(r), r.id) for r in records)


def _reindex(session: Session, records: list, app: Flask | None) -> tuple[int, Counter[int]]:
    from nko_openness.publishing.workflow import is_public

    delta = _delete_documents(session, _of(records))
    public = [r for r in records if is_public(r)]
    delta.update(_write(session, public, facets(app)))
    return len(public), delta


def index_records(session: Session, records: Iterable, app: Flask | None = None) -> int:
    """Rewrite the documents of ``records``: public ones are (re)indexed, others dropped."""
    records = list(records)
    if not records:
        return 0
    session.flush()
    written, delta = _reindex(session, records, app)
    category_tally.apply(session, delta)
    return written


def sync_record(session: Session, record) -> None:
    """After a visibility change: the record's document, and an organization's children's."""
    records = [record]
    session.flush()
    delta: Counter[int] = Counter()
    if isinstance(record, Organization):
        # Children carry the organization's name, activities and locality, and are public
        # only while it is; drop every child document, then index the live ones.
        delta = _delete_documents(session, SearchDocument.organization_id == record.id)
        records += [r for r in (*record.services, *record.projects) if r.live]
    delta.update(_reindex(session, records, None)[1])
    category_tally.apply(session, delta)


def drop_record(session: Session, record) -> None:
    """Remove a record's document (an organization's: all of its documents) from the index."""
    session.flush()
    if isinstance(record, Organization):
        delta = _delete_documents(session, SearchDocument.organization_id == record.id)
    else:
        delta = _delete_documents(session, _of([record]))
    category_tally.apply(session, delta)


# -- maintenance ---------------------------------------------------------------------------

def ensure_index(engine: Engine) -> None:
    """Create the backend's full-text objects if missing (the tables come from migrations)."""
    inspector = inspect(engine)
    table_name = SearchDocument.__tablename__
    if not inspector.has_table(table_name):
        raise RuntimeError("Таблиц поиска нет: выполните `flask nko db upgrade`.")
    # Checked first: even a no-op ALTER TABLE waits for every reader of the table.
    if engine.dialect.name == "postgresql":
        present = (any(c["name"] == VECTOR_COLUMN for c in inspector.get_columns(table_name))
                   and any(i["name"] == VECTOR_INDEX for i in inspector.get_indexes(table_name)))
    else:
        present = inspector.has_table(FTS_TABLE)
    if present:
        return
    with engine.begin() as connection:
        for statement in backend_ddl(connection.dialect.name):
            connection.execute(text(statement))


def rebuild(session: Session, app: Flask | None = None, *, batch: int = 200,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index and the category tally in the caller's transaction.

    Returns the documents written; ``progress(done, total)`` is called after each batch of
    organizations. See :func:`search_rebuild.rebuild`.
    """
    from nko_openness.search.rebuild import rebuild as bulk_rebuild

    return bulk_rebuild(session, app, batch=batch, progress=progress)
