"""Small builders for test records; published unless told otherwise."""

from __future__ import annotations

import itertools

from nko_openness.core.validators import inn_check_digits, ogrn_check_digit
from nko_openness.models import Organization, Project, Service
from nko_openness.publishing.vocabulary import categories_by_slug
from nko_openness.publishing.workflow import mark_published, save_revision

_counter = itertools.count(1)


def valid_inn(n: int) -> str:
    body = f"28{n:07d}"
    return body + inn_check_digits(body)


def valid_ogrn(n: int) -> str:
    body = f"1232800{n:05d}"
    return body + ogrn_check_digit(body)


def _save(session, record, categories, publish):
    """Give ``record`` its categories, a first revision and, unless told not to, publication."""
    with session.no_autoflush:  # the record is half-built until it is added
        by_slug = categories_by_slug(session)
    record.categories = [by_slug[s] for s in categories]
    session.add(record)
    save_revision(session, record, "test")
    if publish:
        mark_published(session, record, "test")
    session.commit()
    return record


def make_org(session, *, publish=True, categories=(), activities=("social_support",), **fields):
    n = next(_counter)
    values = {
        "name": f"Тестовая организация {n}",
        "slug": f"test-org-{n}",
        "legal_form": "ano",
        "inn": valid_inn(n),
        "ogrn": valid_ogrn(n),
        "locality": "Белогорск",
    }
    values.update(fields)
    org = Organization(**values)
    org.activities = list(activities)
    return _save(session, org, categories, publish)


def make_service(session, org, *, publish=True, categories=(), **fields):
    values = {"name": f"Услуга {next(_counter)}", "description": "<p>Описание услуги</p>"}
    return _save(session, Service(organization=org, **values | fields), categories, publish)


def make_project(session, org, *, publish=True, categories=(), **fields):
    values = {"name": f"Проект {next(_counter)}", "goal": "<p>Цель проекта</p>"}
    return _save(session, Project(organization=org, **values | fields), categories, publish)
