"""Small builders for test records; published unless told otherwise."""

from __future__ import annotations

import itertools

from nko_openness.models import Organization, Project, Service
from nko_openness.services.vocabulary import categories_by_slug
from nko_openness.services.workflow import mark_published, save_revision
from nko_openness.validators import inn_check_digits, ogrn_check_digit

_counter = itertools.count(1)


def valid_inn(n: int) -> str:
    body = f"28{n:07d}"
    return body + inn_check_digits(body)


def valid_ogrn(n: int) -> str:
    body = f"1232800{n:05d}"
    return body + ogrn_check_digit(body)


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
    cats = categories_by_slug(session)
    org = Organization(**values)
    org.activities = list(activities)
    org.categories = [cats[s] for s in categories]
    session.add(org)
    save_revision(session, org, "test")
    if publish:
        mark_published(session, org, "test")
    session.commit()
    return org


def make_service(session, org, *, publish=True, categories=(), **fields):
    values = {"name": f"Услуга {next(_counter)}", "description": "<p>Описание услуги</p>"}
    values.update(fields)
    cats = categories_by_slug(session)
    service = Service(organization=org, **values)
    service.categories = [cats[s] for s in categories]
    session.add(service)
    save_revision(session, service, "test")
    if publish:
        mark_published(session, service, "test")
    session.commit()
    return service


def make_project(session, org, *, publish=True, categories=(), **fields):
    values = {"name": f"Проект {next(_counter)}", "goal": "<p>Цель проекта</p>"}
    values.update(fields)
    cats = categories_by_slug(session)
    project = Project(organization=org, **values)
    project.categories = [cats[s] for s in categories]
    session.add(project)
    save_revision(session, project, "test")
    if publish:
        mark_published(session, project, "test")
    session.commit()
    return project
