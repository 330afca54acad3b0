"""Property: any consumer of the changes feed ends with exactly the published set, byte for byte.

Random histories of create / edit (draft or approved) / publish / unpublish / archive /
delete, interleaved with partial reads by consumers and with snapshots. At the end every
consumer — one from after=0, one that read a few pages now and then (so it resumes from
intermediate cursors), and ones bootstrapped from snapshots taken mid-history — follows
``next`` to the end, and its replica must equal what the HSDS API publishes.
"""

from __future__ import annotations

import pytest
from api_support import Consumer, assert_valid, canonical, published_set, stage_edit
from histories import WorkflowHistory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from nko_openness.models import Change, Organization, Project, Revision, Service, WorkflowEvent
from nko_openness.publishing.workflow import approve, mark_deleted, mark_unpublished


@pytest.fixture
def app_config():
    return {"NKO_API_RATE_LIMIT": "100000/minute"}


index = st.integers(min_value=0, max_value=3)
steps = st.lists(st.one_of(
    st.tuples(st.just("new_org"), st.booleans()),
    st.tuples(st.just("new_org"), st.just(True)),
    st.tuples(st.just("new_service"), index, st.booleans()),
    st.tuples(st.just("new_project"), index, st.booleans()),
    st.tuples(st.just("edit"), index, st.booleans()),
    st.tuples(st.just("publish"), index),
    st.tuples(st.just("unpublish"), index, st.booleans()),
    st.tuples(st.just("delete"), index),
    # Reads between writes are what make consumers resume from intermediate cursors.
    st.tuples(st.just("read"), st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("read"), st.just(1)),
    st.tuples(st.just("snapshot")),
), min_size=8, max_size=20)


class History(WorkflowHistory):
    """Applies steps through the workflow services, as the cabinet and moderators would."""

    def __init__(self, session):
        super().__init__(session)
        self.edits = 0

    def run(self, step) -> None:
        kind, *args = step
        session = self.session
        if kind == "new_org":
            self.new_org(args[0], categories=["elderly"])
            return
        if kind in ("new_service", "new_project"):
            self.new_child(kind, args[0], args[1], categories=["youth"])
            return
        record = self.pick(self.records, args[0])
        if record is None:
            return
        if kind == "edit":
            self.edits += 1
            stage_edit(session, record, name=f"{record.name.split(' #')[0]} #{self.edits}")
            if args[1]:
                approve(session, record, "mod", record.version)
        elif kind == "publish" and not record.live:
            approve(session, record, "mod", record.version)
        elif kind == "unpublish" and record.live:
            mark_unpublished(session, record, "mod", "снято", archive=args[1])
        elif kind == "delete":
            self.delete(record)
        session.commit()


def public_ids(session) -> set[tuple[str, str]]:
    """The published set computed straight from the tables, independently of the API."""
    ids = {("organization", str(u)) for u in session.scalars(
        select(Organization.uuid).where(Organization.live.is_(True)))}
    for model, kind in ((Service, "service"), (Project, "program")):
        ids |= {(kind, str(u)) for u in session.scalars(
            select(model.uuid).join(Organization, model.organization_id == Organization.id)
            .where(model.live.is_(True), Organization.live.is_(True)))}
    return ids


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=steps)
def test_every_consumer_converges_to_the_published_set(session, client, history):
    # Each example starts from an empty site (a consumer from after=0 would otherwise walk
    # every earlier example's history too, and the test would grow quadratically).
    # Deleting through the workflow lets every other feature (the search index) follow.
    for org in session.scalars(select(Organization)).all():
        mark_deleted(session, org, "reset")
    session.commit()
    for table in (Change, Revision, WorkflowEvent):
        session.execute(delete(table))
    session.commit()
    run = History(session)
    from_zero = Consumer(client, limit=3)
    # Small pages resume often; big pages see an entity's rows together (one item each).
    readers = [Consumer(client, limit=2), Consumer(client, limit=50)]
    bootstrapped: list[Consumer] = []
    for step in history:
        if step[0] == "read":
            for reader in readers:
                reader.pages(max_pages=step[1])
        elif step[0] == "snapshot":
            consumer = Consumer(client, limit=4)
            consumer.bootstrap()
            bootstrapped.append(consumer)
        else:
            run.run(step)
    session.expire_all()

    expected = published_set(client)
    assert set(expected) == public_ids(session)
    for (hsds_type, _id), obj in expected.items():
        assert_valid(hsds_type, obj)
    for consumer in (from_zero, *readers, *bootstrapped):
        consumer.pages()
        assert consumer.dump() == canonical(expected)
