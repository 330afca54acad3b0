"""Model constraints, the HSDS-shaped fields and the outbox written by workflow transitions."""

from __future__ import annotations

import uuid

import pytest
from factories import make_org, make_project, make_service, valid_inn
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nko_openness.core.validators import RegistrationNumberError
from nko_openness.models import Change, Organization, Revision, Status, WorkflowEvent
from nko_openness.publishing.workflow import mark_deleted, mark_published, mark_unpublished


def test_wrong_inn_is_refused_with_the_field_named(session):
    with pytest.raises(RegistrationNumberError, match="ИНН"):
        Organization(name="Ошибка", slug="oshibka", legal_form="ano", inn="7707083894")


def test_unknown_legal_form_is_refused(session):
    with pytest.raises(ValueError, match="организационно-правовая форма"):
        Organization(name="X", slug="x", legal_form="llc")


def test_unknown_activity_type_is_refused(session):
    org = Organization(name="X", slug="x", legal_form="ano")
    with pytest.raises(ValueError, match="вид деятельности"):
        org.activities = ["trading"]


def test_group_without_legal_entity_needs_no_numbers(session):
    org = make_org(session, legal_form="informal_group", inn=None, ogrn=None)
    assert not org.has_legal_entity
    assert org.identifiers == []


def test_identifiers_use_org_id_guide_schemes(session):
    org = make_org(session)
    schemes = {i["identifier_scheme"]: i["identifier"] for i in org.identifiers}
    assert schemes == {"RU-OGRN": org.ogrn, "RU-INN": org.inn}


def test_slug_and_uuid_are_unique(session):
    org = make_org(session)
    session.add(Organization(name="Дубль", slug=org.slug, legal_form="ano"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    clone = Organization(name="Дубль", slug="dubl", legal_form="ano", inn=valid_inn(999))
    clone.uuid = org.uuid
    session.add(clone)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_public_ids_are_uuids_and_sort_name_ignores_quotes(session):
    org = make_org(session, name="АРСОО «СПОРТиЯ»")
    assert isinstance(org.uuid, uuid.UUID)
    assert org.sort_name == "спортия"


def test_publishing_writes_revision_event_and_change_in_one_transaction(session):
    org = make_org(session, publish=False)
    assert session.scalars(select(Change)).all() == []
    mark_published(session, org, "moderator-1")
    session.commit()
    change = session.scalars(select(Change)).one()
    assert (change.entity_type, change.entity_uuid, change.op) == ("organization", org.uuid,
                                                                    "upsert")
    event = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "publish")).one()
    assert event.user_id == "moderator-1" and event.to_status == Status.PUBLISHED
    revision = session.scalars(select(Revision)).one()
    assert revision.data["name"] == org.name and revision.number == org.live_version == 1


def test_rollback_leaves_no_change_row(session):
    org = make_org(session, publish=False)
    mark_published(session, org, "m")
    session.rollback()
    assert session.scalars(select(Change)).all() == []
    assert session.get(Organization, org.id).live is False


def test_service_of_unpublished_org_emits_nothing_until_the_org_is_published(session):
    org = make_org(session, publish=False)
    service = make_service(session, org)
    assert service.live
    assert session.scalars(select(Change)).all() == []
    mark_published(session, org, "m")
    session.commit()
    ops = {(c.entity_type, c.op) for c in session.scalars(select(Change))}
    assert ops == {("organization", "upsert"), ("service", "upsert")}


def test_unpublishing_an_org_tombstones_its_live_children(session):
    org = make_org(session)
    service = make_service(session, org)
    project = make_project(session, org)
    mark_unpublished(session, org, "m", "Устаревшие сведения")
    session.commit()
    deletes = {(c.entity_type, c.entity_uuid) for c in session.scalars(
        select(Change).where(Change.op == "delete"))}
    assert deletes == {("organization", org.uuid), ("service", service.uuid),
                       ("program", project.uuid)}


def test_change_sequence_is_monotonic(session):
    org = make_org(session)
    for _ in range(3):
        mark_unpublished(session, org, "m", None)
        mark_published(session, org, "m")
        session.commit()
    seqs = session.scalars(select(Change.seq).order_by(Change.seq)).all()
    assert seqs == sorted(set(seqs)) and len(seqs) == 7


def test_deleting_a_public_record_leaves_a_tombstone_and_cascades(session):
    org = make_org(session)
    service = make_service(session, org)
    service_uuid = service.uuid
    mark_deleted(session, service, "m")
    session.commit()
    last = session.scalars(select(Change).order_by(Change.seq.desc())).first()
    assert (last.entity_uuid, last.op) == (service_uuid, "delete")
    make_project(session, org)
    mark_deleted(session, org, "m")
    session.commit()
    assert session.scalars(select(Organization)).all() == []


def test_archive_sets_archived_status(session):
    org = make_org(session)
    mark_unpublished(session, org, "m", "Организация ликвидирована", archive=True)
    session.commit()
    assert org.status == Status.ARCHIVED and not org.live


def test_snapshot_and_apply_snapshot_round_trip(session):
    from datetime import date
    from decimal import Decimal

    from nko_openness.models import ProjectFunding, ProjectResult
    from nko_openness.publishing.workflow import apply_snapshot, snapshot

    org = make_org(session, categories=["children"])
    project = make_project(session, org, categories=["youth"], start_date=date(2024, 3, 1))
    project.results = [ProjectResult(indicator="Участники", unit="чел.", planned=Decimal(100),
                                     achieved=Decimal("87.5"))]
    project.fundings = [ProjectFunding(funder="Фонд президентских грантов",
                                       amount=Decimal("450000.00"),
                                       award_date=date(2024, 1, 15))]
    session.commit()
    saved = snapshot(project)
    project.name, project.start_date = "Другое имя", None
    project.categories, project.results, project.fundings = [], [], []
    apply_snapshot(session, project, saved)
    session.commit()
    assert snapshot(project) == saved
    assert project.start_date == date(2024, 3, 1) and project.fundings[0].amount == Decimal(
        "450000.00")


def test_approve_applies_the_reviewed_revision_and_refuses_a_stale_one(session):
    from nko_openness.models import Revision
    from nko_openness.publishing.workflow import StaleRevision, approve, mark_submitted, snapshot

    org = make_org(session)

    def save_draft(**changes):
        # An edit of a published record lives in a revision; the row keeps the live content.
        org.version += 1
        session.add(Revision(entity_type="organization", entity_uuid=org.uuid,
                             number=org.version, data=snapshot(org) | changes,
                             author_id="editor"))

    save_draft(name="Новое название")
    mark_submitted(session, org, "editor", expected_version=org.version)
    session.commit()
    assert org.name != "Новое название"
    reviewed = org.version
    save_draft(name="Ещё новее")  # the editor saves again while the moderator reads
    session.commit()
    with pytest.raises(StaleRevision):
        approve(session, org, "moderator", reviewed_version=reviewed)
    session.rollback()
    approve(session, org, "moderator", reviewed_version=org.version)
    session.commit()
    assert org.name == "Ещё новее" and org.live and org.live_version == org.version
