"""The Belogorsk demo data: the JSON file itself, and `load_demo` / `flask nko load-demo`."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from conftest import shared_path
from factories import make_org
from sqlalchemy import func, select

from nko_openness.core.validators import validate_inn, validate_kpp, validate_ogrn
from nko_openness.core.vocabularies import (
    ACTIVITY_TYPES,
    BENEFICIARY_CATEGORIES,
    FORMS_WITHOUT_LEGAL_ENTITY,
    LEGAL_FORMS,
    PROJECT_STATUSES,
    SERVICE_STATUSES,
)
from nko_openness.devdata.demo import load_demo, plural, read_demo_data
from nko_openness.models import Change, Organization, Project, Revision, Service, Status
from nko_openness.publishing.workflow import entity_type, is_public

RESOLUTION_PROJECTS = ("Стартуют все", "Чистый берег", "Защитим детей от наркотиков")
HTML_FIELDS = {"description", "mission", "goal", "tasks"}
ALLOWED_TAGS = {"p", "ul", "li", "strong"}

# «Фамилия Имя Отчество», «Фамилия И. О.», «И. О. Фамилия».
FULL_NAME = re.compile(
    r"\b[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+[А-ЯЁ][а-яё]+\s+"
    r"[А-ЯЁ][а-яё]+(?:вич|вна|ична|чна|ич|оглы|кызы)\b"
)
INITIALS = re.compile(
    r"\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.|\b[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?[А-ЯЁ][а-яё]+"
)
# The people the resolution names: the demo must not attach them to any organization.
RESOLUTION_SURNAMES = ("Лабынцев", "Камоско", "Пахомов", "Ерлин", "Марценко")
RESOLUTION_NAMES = re.compile(r"\b(?:" + "|".join(RESOLUTION_SURNAMES) + ")", re.IGNORECASE)


@pytest.fixture(scope="module")
def demo():
    return read_demo_data()


def organizations(demo):
    return demo["organizations"]


def children(org):
    yield from (("service", s) for s in org.get("services", []))
    yield from (("project", p) for p in org.get("projects", []))


def strings(value, key=None):
    """Every (key, string) pair anywhere in the JSON."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)


def is_published(org, child=None):
    """What the loader publishes: drafts are marked, and a draft org's children stay drafts."""
    if not org.get("publish", True):
        return False
    return child is None or child.get("publish", True)


def all_records(demo):
    for org in organizations(demo):
        yield "organization", org, is_published(org)
        for kind, child in children(org):
            yield kind, child, is_published(org, child)


# ─── The JSON file, without a database ────────────────────────────────────────────────────────


def test_demo_json_codes_exist(demo):
    category_slugs = {c.slug for c in BENEFICIARY_CATEGORIES}
    slugs = [org["slug"] for org in organizations(demo)]
    assert len(slugs) == len(set(slugs))
    for org in organizations(demo):
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", org["slug"]), org["slug"]
        assert org["legal_form"] in LEGAL_FORMS, org["slug"]
        assert org["activities"], org["slug"]
        assert set(org["activities"]) <= set(ACTIVITY_TYPES), org["slug"]
        assert set(org["categories"]) <= category_slugs, org["slug"]
        assert 1 <= len(org["services"]) <= 4, org["slug"]
        assert len(org["projects"]) <= 3, org["slug"]
        for service in org["services"]:
            assert set(service["categories"]) <= category_slugs, service["name"]
            assert service.get("service_status", "active") in SERVICE_STATUSES
            if not service["is_free"]:
                assert service["fees_description"], service["name"]
            lo, hi = service.get("minimum_age"), service.get("maximum_age")
            assert lo is None or hi is None or lo <= hi, service["name"]
        for project in org["projects"]:
            assert set(project["categories"]) <= category_slugs, project["name"]
            assert project["project_status"] in PROJECT_STATUSES, project["name"]
            start = date.fromisoformat(project["start_date"])
            end = date.fromisoformat(project["end_date"])
            assert start <= end, project["name"]
            for result in project["results"]:
                assert result["indicator"] and result["unit"], project["name"]
                if project["project_status"] == "planned":
                    assert result["achieved"] is None, project["name"]
            for funding in project["fundings"]:
                assert re.fullmatch(r"\d+\.\d{2}", funding["amount"]), funding
                assert Decimal(funding["amount"]) > 0
                date.fromisoformat(funding["award_date"])


def test_demo_json_has_the_resolution_projects(demo):
    names = {p["name"]: org for org in organizations(demo) for p in org["projects"]}
    assert set(RESOLUTION_PROJECTS) <= set(names)
    assert names["Стартуют все"]["alternate_name"] == "АРСОО «СПОРТиЯ»"
    bereg = names["Чистый берег"]
    assert bereg["legal_form"] == "informal_group"
    project = next(p for p in bereg["projects"] if p["name"] == "Чистый берег")
    assert "Общественный совет" in project["partners"]
    assert "«Вода России»" in project["description"] + project["partners"]


def test_demo_json_is_big_enough_for_filters_and_pages(demo):
    published = [org for org in organizations(demo) if is_published(org)]
    drafts = [org for org in organizations(demo) if not is_published(org)]
    assert 14 <= len(published) <= 20
    assert 1 <= len(drafts) <= 2
    # Drafts among the children of published organizations too, not only whole draft orgs.
    assert any(not is_published(org, c) for org in published for _, c in children(org))
    assert len({a for org in published for a in org["activities"]}) >= 10
    assert len({c for org in published for c in org["categories"]}) >= 15
    assert sum(len(org["services"]) for org in published) >= 30
    assert sum(len(org["projects"]) for org in published) >= 15


def test_registration_numbers_valid_and_regional(demo):
    for org in organizations(demo):
        if org["legal_form"] in FORMS_WITHOUT_LEGAL_ENTITY:
            assert not any(org.get(k) for k in ("inn", "ogrn", "kpp")), org["slug"]
            assert org["in_registry"] is False, org["slug"]
            continue
        if not org.get("inn"):
            # Only a draft may lack numbers: an organization still being registered.
            assert not is_published(org), org["slug"]
            assert not org.get("ogrn")
            continue
        assert validate_inn(org["inn"]) and len(org["inn"]) == 10
        assert validate_ogrn(org["ogrn"]) and len(org["ogrn"]) == 13
        assert validate_kpp(org["kpp"])
        # Amur Oblast is region 28; the ОГРН carries the year of registration.
        assert org["inn"].startswith("28") and org["kpp"].startswith("28")
        assert org["ogrn"][3:5] == "28"
        assert org["ogrn"][1:3] == f"{org['year_incorporated'] % 100:02d}", org["slug"]
    numbers = [org[k] for org in organizations(demo) for k in ("inn", "ogrn") if org.get(k)]
    assert len(numbers) == len(set(numbers))


def test_name_patterns_catch_the_people_in_the_resolution():
    text = shared_path("seed", "resolution-belogorsk-2023-09-28.txt").read_text("utf-8")
    found = " ".join(FULL_NAME.findall(text) + INITIALS.findall(text))
    for surname in RESOLUTION_SURNAMES:
        assert surname in found


def test_no_natural_persons_names(demo):
    for key, value in strings(demo):
        assert not FULL_NAME.search(value), (key, value)
        assert not INITIALS.search(value), (key, value)
        assert not RESOLUTION_NAMES.search(value), (key, value)
    for _kind, record, _ in all_records(demo):
        if record.get("contact_role"):
            # A role, lower-case, never a name.
            assert record["contact_role"][0].islower(), record["contact_role"]


def test_contacts_use_example_domains_and_belogorsk_phones(demo):
    for _kind, record, _ in all_records(demo):
        for key in ("website", "url"):
            if record.get(key):
                assert re.fullmatch(r"https://[a-z0-9-]+\.example\.ru", record[key]), record[key]
        if record.get("email"):
            assert re.fullmatch(r"[a-z0-9.-]+@example\.ru", record["email"]), record["email"]
        if record.get("phone"):
            assert re.fullmatch(r"\+7 \(41641\) \d-\d{2}-\d{2}", record["phone"]), record["phone"]
    for org in organizations(demo):
        assert "Белогорск" in org["locality"], org["slug"]


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def test_html_is_small_and_plain_text_is_plain(demo):
    for key, value in strings(demo):
        if key in HTML_FIELDS:
            parser = _TagCollector()
            parser.feed(value)
            assert parser.tags and parser.tags <= ALLOWED_TAGS, (key, value)
            assert not parser.attrs, (key, value)
        else:
            assert "<" not in value and ">" not in value, (key, value)


def test_typography(demo):
    for key, value in strings(demo):
        assert '"' not in value, (key, value)
        assert " - " not in value and " -- " not in value, (key, value)  # em dash, not hyphen
        assert value.count("«") == value.count("»"), (key, value)
        assert value.count("„") == value.count("“"), (key, value)
        assert value == value.strip() and "  " not in value, (key, value)


def test_plural():
    assert plural(1, "услуга", "услуги", "услуг") == "1 услуга"
    assert plural(34, "услуга", "услуги", "услуг") == "34 услуги"
    assert plural(11, "услуга", "услуги", "услуг") == "11 услуг"
    assert plural(21, "проект", "проекта", "проектов") == "21 проект"
    assert plural(112, "проект", "проекта", "проектов") == "112 проектов"


# ─── Loading into the database ────────────────────────────────────────────────────────────────


def counts(session):
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Organization, Service, Project, Revision, Change)
    }


def stored_records(session):
    for model in (Organization, Service, Project):
        yield from session.scalars(select(model))


def test_load_demo_loads_the_resolution_projects(app, session, demo):
    summary = load_demo(session, app)
    assert summary.startswith("Загружено: ")

    for name in RESOLUTION_PROJECTS:
        project = session.scalars(select(Project).where(Project.name == name)).one()
        assert is_public(project), name
    start = session.scalars(select(Project).where(Project.name == "Стартуют все")).one()
    assert start.organization.slug == "sportiya"
    assert start.organization.alternate_name == "АРСОО «СПОРТиЯ»"
    assert start.start_date == date(2023, 2, 1)
    assert [f.amount for f in start.fundings][:2] == [Decimal("150000.00"), Decimal("1480600.00")]
    assert start.fundings[0].award_date == date(2023, 3, 20)
    assert start.total_funding > Decimal("2000000")
    bereg = session.scalars(select(Project).where(Project.name == "Чистый берег")).one()
    assert bereg.organization.legal_form == "informal_group"
    assert "Общественный совет" in bereg.partners and "Вода России" in bereg.partners
    assert Decimal("14.5") in [r.achieved for r in bereg.results]


def test_load_demo_counts_and_drafts(app, session, demo):
    summary = load_demo(session, app)
    n_orgs = len(organizations(demo))
    n_services = sum(len(o["services"]) for o in organizations(demo))
    n_projects = sum(len(o["projects"]) for o in organizations(demo))
    assert plural(n_orgs, "организация", "организации", "организаций") in summary
    assert plural(n_services, "услуга", "услуги", "услуг") in summary
    assert plural(n_projects, "проект", "проекта", "проектов") in summary

    live_orgs = session.scalars(select(Organization).where(Organization.live)).all()
    assert len(live_orgs) == sum(is_published(o) for o in organizations(demo))
    assert 14 <= len(live_orgs) <= 20

    expected = {(kind, r["slug"] if kind == "organization" else r["name"]): published
                for kind, r, published in all_records(demo)}
    for record in stored_records(session):
        key = (record.slug if isinstance(record, Organization) else record.name)
        kind = "organization" if isinstance(record, Organization) else type(record).__name__.lower()
        published = expected[(kind, key)]
        assert is_public(record) is published, key
        assert record.status == (Status.PUBLISHED if published else Status.DRAFT), key
        assert record.version == 1 and record.live_version == (1 if published else None)


def test_every_public_record_has_one_upsert_and_drafts_none(app, session):
    load_demo(session, app)
    changes = session.scalars(select(Change)).all()
    assert {c.op for c in changes} == {"upsert"}
    by_entity: dict = {}
    for change in changes:
        by_entity.setdefault((change.entity_type, change.entity_uuid), []).append(change)
    records = list(stored_records(session))
    public = {(entity_type(r), r.uuid) for r in records if is_public(r)}
    assert set(by_entity) == public
    assert all(len(v) == 1 for v in by_entity.values())
    # Organizations come before their children in the feed, so a consumer that follows it
    # never sees a service whose organization it does not know yet.
    seq_of = {key: v[0].seq for key, v in by_entity.items()}
    for record in records:
        if not isinstance(record, Organization) and is_public(record):
            org_key = ("organization", record.organization.uuid)
            assert seq_of[org_key] < seq_of[(entity_type(record), record.uuid)]


def test_every_record_has_a_revision(app, session):
    load_demo(session, app)
    revisions = session.scalars(select(Revision)).all()
    by_uuid = {r.entity_uuid: r for r in revisions}
    records = list(stored_records(session))
    assert len(revisions) == len(records)
    for record in records:
        revision = by_uuid[record.uuid]
        assert revision.number == 1 and revision.author_id == "load-demo"
        assert revision.data["name"] == record.name


def test_informal_groups_have_no_registration_numbers(app, session):
    load_demo(session, app)
    groups = session.scalars(
        select(Organization).where(Organization.legal_form.in_(FORMS_WITHOUT_LEGAL_ENTITY))
    ).all()
    assert len(groups) >= 2
    for org in groups:
        assert org.inn is None and org.ogrn is None and org.kpp is None
        assert not org.has_legal_entity and org.identifiers == []


def test_load_demo_is_idempotent(app, session):
    load_demo(session, app)
    before = counts(session)
    summary = load_demo(session, app)
    assert counts(session) == before
    assert summary.startswith("Загружено: 0 организаций, 0 услуг, 0 проектов")
    assert "пропущено" in summary


def test_load_demo_skips_existing_slugs_only(app, session, demo):
    existing = make_org(session, slug="sportiya", name="Уже заведённая организация")
    summary = load_demo(session, app)
    n_orgs = len(organizations(demo))
    assert plural(n_orgs - 1, "организация", "организации", "организаций") in summary
    assert "пропущено: 1 организация" in summary
    session.refresh(existing)
    assert existing.name == "Уже заведённая организация" and existing.projects == []
    assert session.scalar(select(func.count()).select_from(Organization)) == n_orgs
    assert not session.scalars(select(Project).where(Project.name == "Стартуют все")).all()


def test_load_demo_command(app, runner, demo):
    result = runner.invoke(args=["nko", "load-demo"])
    assert result.exit_code == 0, result.output
    n_orgs = len(organizations(demo))
    assert result.output.startswith(
        "Загружено: " + plural(n_orgs, "организация", "организации", "организаций")
    )
    with app.app_context():
        session = app.extensions["nko_openness"].db.session
        assert session.scalar(select(func.count()).select_from(Organization)) == n_orgs
    again = runner.invoke(args=["nko", "load-demo"])
    assert again.exit_code == 0, again.output
    assert "Загружено: 0 организаций" in again.output
