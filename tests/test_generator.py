"""The synthetic data generator: deterministic, valid, and a state the workflow could have made."""

from __future__ import annotations

from collections import Counter

import pytest
from factories import make_org
from sqlalchemy import select

from nko_openness.core.sanitizer import Sanitizer
from nko_openness.core.validators import validate_inn, validate_kpp, validate_ogrn
from nko_openness.core.vocabularies import LEGAL_FORMS
from nko_openness.devdata.generator import generate
from nko_openness.models import Base, Change, Organization, Project, Revision, Service, Status

ORGS = 40


@pytest.fixture
def generated(app, session):
    generate(app, ORGS, seed=7)
    return session


def table_dump(session) -> dict[str, list[tuple]]:
    """Every generated row, in primary-key order (the seeded vocabulary has random uuids)."""
    dump = {}
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("nko_search") or table.name == "nko_beneficiary_category":
            continue
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        dump[table.name] = [tuple(row) for row in rows]
    return dump


def reset(app, session):
    session.close()
    engine = app.extensions["nko_openness"].db.engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(app, session):
    generate(app, 15, seed=3)
    first = table_dump(session)
    reset(app, session)
    generate(app, 15, seed=3)
    assert table_dump(session) == first
    reset(app, session)
    generate(app, 15, seed=4)
    other = table_dump(session)
    assert other["nko_organization"] != first["nko_organization"]


def test_registration_numbers_have_valid_check_digits(generated):
    orgs = generated.scalars(select(Organization)).all()
    assert len({o.slug for o in orgs}) == len(orgs)
    inns = [o.inn for o in orgs if o.inn]
    assert len(set(inns)) == len(inns)
    for org in orgs:
        if org.has_legal_entity:
            assert validate_inn(org.inn) and validate_ogrn(org.ogrn) and validate_kpp(org.kpp)
        else:
            assert org.inn is None and org.ogrn is None


def test_every_legal_form_and_realistic_counts(app, session):
    generate(app, 400, seed=1)
    forms = Counter(session.scalars(select(Organization.legal_form)))
    assert set(forms) == set(LEGAL_FORMS)
    per_org = Counter(session.scalars(select(Service.organization_id)))
    assert max(per_org.values()) <= 10
    projects = Counter(session.scalars(select(Project.organization_id)))
    assert max(projects.values()) <= 6
    records = sum(forms.values()) + sum(per_org.values()) + sum(projects.values())
    changes = session.query(Change).count()
    assert changes >= 2.5 * records  # the outbox is several times the data


def test_rich_text_is_what_the_sanitizer_would_store(generated):
    texts = [t for (d, m) in generated.execute(
        select(Organization.description, Organization.mission)) for t in (d, m)]
    texts += generated.scalars(select(Project.tasks)).all()
    texts += generated.scalars(select(Service.description).limit(50)).all()
    for backend in ("bleach", "nh3"):
        sanitizer = Sanitizer(backend=backend)
        assert all(sanitizer.clean(t) == t for t in texts if t)
    assert any("<ul><li>" in t for t in texts) and any("<strong>" in t for t in texts)
    descriptions = generated.scalars(select(Organization.description)).all()
    assert 500 < sum(map(len, descriptions)) / len(descriptions) < 3000


def _public(record, orgs_by_id) -> bool:
    if isinstance(record, Organization):
        return record.live
    return record.live and orgs_by_id[record.organization_id].live


def test_change_table_ends_in_the_published_state(generated):
    orgs = {o.id: o for o in generated.scalars(select(Organization))}
    records = [*orgs.values(), *generated.scalars(select(Service)),
               *generated.scalars(select(Project))]
    last_op, seen_seq = {}, []
    for change in generated.scalars(select(Change).order_by(Change.seq)):
        last_op[change.entity_uuid] = change.op
        seen_seq.append(change.created_at)
    assert seen_seq == sorted(seen_seq)  # seq follows time, as a real outbox does
    existing = set()
    for record in records:
        existing.add(record.uuid)
        if _public(record, orgs):
            assert last_op[record.uuid] == "upsert", record
        elif record.first_published_at is None:
            assert record.uuid not in last_op, record  # never public: never in the feed
        else:
            assert last_op.get(record.uuid, "delete") == "delete", record
    deleted = set(last_op) - existing
    assert deleted and all(last_op[u] == "delete" for u in deleted)


def test_workflow_fields_are_consistent(generated):
    for model in (Organization, Service, Project):
        for record in generated.scalars(select(model)):
            numbers = generated.scalars(select(Revision.number).where(
                Revision.entity_uuid == record.uuid).order_by(Revision.number)).all()
            assert numbers == list(range(1, record.version + 1))
            if record.live_version is None:  # never published: a draft nobody sees
                assert not record.live and record.has_unpublished_changes
                assert record.status in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
            elif record.live:
                assert record.live_version <= record.version
                pending = record.live_version < record.version
                assert record.has_unpublished_changes == pending
                assert (record.status != Status.PUBLISHED) == pending
            else:
                assert record.status in (Status.UNPUBLISHED, Status.ARCHIVED)


def test_public_pages_render_and_drafts_stay_hidden(generated, client):
    assert client.get("/nko/").status_code == 200
    orgs = generated.scalars(select(Organization)).all()
    live = [o for o in orgs if o.live]
    hidden = [o for o in orgs if not o.live]
    assert live and hidden
    for org in live[:5]:
        page = client.get(f"/nko/organizations/{org.slug}")
        assert page.status_code == 200 and org.name in page.get_data(as_text=True)
    for org in hidden:
        assert client.get(f"/nko/organizations/{org.slug}").status_code == 404
    for model, prefix in ((Service, "services"), (Project, "projects")):
        records = generated.scalars(select(model)).all()
        shown = [r for r in records if _public(r, {o.id: o for o in orgs})]
        for record in shown[:5]:
            assert client.get(f"/nko/{prefix}/{record.uuid}").status_code == 200
        for record in [r for r in records if r.live_version is None][:5]:
            assert client.get(f"/nko/{prefix}/{record.uuid}").status_code == 404
    assert client.get("/nko/categories/elderly").status_code == 200
    proper = live[0].name.split("«")[1].split("»")[0]
    found = client.get("/nko/search", query_string={"q": proper}).get_data(as_text=True)
    links = [f'/organizations/{org.slug}"' for org in live]
    assert any(link in found for link in links)  # the search index was built too
    assert not any(f'/organizations/{org.slug}"' in found for org in hidden)


def test_new_records_after_generating_get_fresh_ids(generated):
    org = make_org(generated, name="Организация после генерации")
    assert org.id > max(o.id for o in generated.scalars(select(Organization)) if o is not org)


def test_generate_command(runner, session):
    result = runner.invoke(args=["nko", "generate", "--orgs", "3", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "Создано: организаций" in result.output
    assert session.query(Organization).count() >= 1
