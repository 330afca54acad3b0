"""The category tally equals counting the published records, whatever publishing did (issue 7).

``catalog.category_counts`` reads counters that the search index keeps in the publishing
transaction; ``catalog.aggregate_category_counts`` counts the records. Every test compares
the two after real workflow operations, and checks the numbers it expects.
"""

from __future__ import annotations

from api_support import stage_edit
from factories import make_org, make_project, make_service
from histories import WorkflowHistory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, update

from nko_openness import migrate
from nko_openness.catalog import queries as catalog
from nko_openness.devdata.generator import generate
from nko_openness.models import BeneficiaryCategory, CategoryTally, Organization
from nko_openness.publishing.vocabulary import categories_by_slug, seed_categories
from nko_openness.publishing.workflow import approve, mark_deleted, mark_unpublished
from nko_openness.search import index as search_index


def by_slug(session, counts: dict[int, int]) -> dict[str, int]:
    slugs = {c.id: c.slug for c in session.scalars(select(BeneficiaryCategory))}
    return {slugs[category_id]: n for category_id, n in counts.items()}


def tally(session) -> dict[str, int]:
    """The tally by slug, after checking that it equals the count from the records."""
    session.expire_all()
    counts = catalog.category_counts(session)
    assert counts == catalog.aggregate_category_counts(session)
    return by_slug(session, counts)


def test_publish_unpublish_archive_and_delete_of_services_and_projects(session):
    org = make_org(session, categories=["residents"])  # organizations are not counted
    service = make_service(session, org, categories=["elderly", "disabled"])
    project = make_project(session, org, categories=["elderly"])
    make_service(session, org, categories=["youth"], publish=False)
    assert tally(session) == {"elderly": 2, "disabled": 1}

    mark_unpublished(session, service, "mod", "снято")
    session.commit()
    assert tally(session) == {"elderly": 1}

    approve(session, service, "mod", service.version)
    session.commit()
    assert tally(session) == {"elderly": 2, "disabled": 1}

    mark_unpublished(session, project, "mod", "в архив", archive=True)
    session.commit()
    assert tally(session) == {"elderly": 1, "disabled": 1}

    mark_deleted(session, service, "mod")
    session.commit()
    assert tally(session) == {}


def test_organization_unpublished_and_republished_takes_its_children_along(session):
    org = make_org(session)
    other = make_org(session)
    make_service(session, org, categories=["elderly"])
    make_project(session, org, categories=["elderly", "veterans"])
    make_service(session, other, categories=["elderly"])
    assert tally(session) == {"elderly": 3, "veterans": 1}

    mark_unpublished(session, org, "mod", "снято")
    session.commit()
    assert tally(session) == {"elderly": 1}

    approve(session, org, "mod", org.version)
    session.commit()
    assert tally(session) == {"elderly": 3, "veterans": 1}

    # Published again while public: every child document is rewritten, none counted twice.
    approve(session, org, "mod", org.version)
    session.commit()
    assert tally(session) == {"elderly": 3, "veterans": 1}

    mark_deleted(session, org, "mod")
    session.commit()
    assert tally(session) == {"elderly": 1}


def test_a_child_published_while_its_organization_is_withdrawn_is_not_counted(session):
    org = make_org(session)
    service = make_service(session, org, categories=["elderly"], publish=False)
    mark_unpublished(session, org, "mod", "снято")
    session.commit()

    approve(session, service, "mod", service.version)
    session.commit()
    assert tally(session) == {}

    approve(session, org, "mod", org.version)
    session.commit()
    assert tally(session) == {"elderly": 1}


def test_republication_with_other_categories_moves_the_counts(session):
    org = make_org(session)
    service = make_service(session, org, categories=["elderly", "disabled"])

    # A draft with other categories changes nothing until a moderator approves it.
    stage_edit(session, service, categories=["disabled", "veterans"])
    session.commit()
    assert tally(session) == {"elderly": 1, "disabled": 1}

    approve(session, service, "mod", service.version)
    session.commit()
    assert tally(session) == {"disabled": 1, "veterans": 1}


def test_a_parent_and_its_sub_category_are_counted_apart(session):
    # The search facet of a record in "orphans" also holds "children": the tally must not.
    org = make_org(session)
    service = make_service(session, org, categories=["orphans"])
    project = make_project(session, org, categories=["children", "orphans"])
    assert tally(session) == {"orphans": 2, "children": 1}

    stage_edit(session, project, categories=["orphans"])
    approve(session, project, "mod", project.version)
    stage_edit(session, service, categories=["children", "orphans"])
    approve(session, service, "mod", service.version)
    session.commit()
    assert tally(session) == {"orphans": 2, "children": 1}

    mark_unpublished(session, service, "mod", "снято")
    session.commit()
    assert tally(session) == {"orphans": 1}


def test_deleting_a_category_takes_its_count_away(session):
    org = make_org(session)
    service = make_service(session, org, categories=["elderly", "veterans"])
    session.delete(categories_by_slug(session)["veterans"])
    session.commit()
    assert tally(session) == {"elderly": 1}

    mark_unpublished(session, service, "mod", "снято")
    session.commit()
    assert tally(session) == {}


def test_rebuilding_the_index_recomputes_the_tally(app, session, runner):
    org = make_org(session)
    make_service(session, org, categories=["elderly"])
    make_project(session, org, categories=["elderly", "youth"])
    session.execute(update(CategoryTally).values(items=CategoryTally.items + 5))
    session.commit()
    assert by_slug(session, catalog.category_counts(session)) == {"elderly": 7, "youth": 6}

    search_index.rebuild(session, app)
    session.commit()
    assert tally(session) == {"elderly": 2, "youth": 1}

    session.execute(update(CategoryTally).values(items=0))
    session.commit()
    result = runner.invoke(args=["nko", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert tally(session) == {"elderly": 2, "youth": 1}


def test_generated_data_gets_its_tally_with_the_search_index(app, session):
    # The generator writes rows in bulk, then rebuilds the index: the tally comes with it.
    generate(app, 30, seed=5)
    counts = tally(session)
    assert sum(counts.values()) > 30
    assert set(counts) - {c.slug for c in session.scalars(select(BeneficiaryCategory))
                          if c.parent_id is None}  # sub-categories counted on their own


def test_reading_the_counts_is_one_statement(app, session):
    org = make_org(session)
    for _ in range(3):
        make_service(session, org, categories=["elderly", "youth"])
    engine = app.extensions["nko_openness"].db.engine
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = catalog.category_counts(session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert by_slug(session, counts) == {"elderly": 3, "youth": 3}
    assert len(sent) == 1


# -- the migration -------------------------------------------------------------------------

def test_upgrading_a_site_with_data_fills_the_tally(migrated_app):
    with migrated_app.app_context():
        session = migrated_app.extensions["nko_openness"].db.session
        seed_categories(session, migrated_app)
        session.commit()
        org = make_org(session)
        make_service(session, org, categories=["elderly", "orphans"])
        make_project(session, org, categories=["children", "orphans"])
        make_service(session, org, categories=["elderly"], publish=False)
        withdrawn = make_org(session)
        make_service(session, withdrawn, categories=["elderly"])
        mark_unpublished(session, withdrawn, "mod", "снято")
        session.commit()
        org_id = org.id
        session.close()

    # Back to the schema before the tally, then up again: the data stays, the tally is new.
    migrate.downgrade(migrated_app, "0005")
    migrate.upgrade(migrated_app, "head")

    with migrated_app.app_context():
        session = migrated_app.extensions["nko_openness"].db.session
        assert tally(session) == {"elderly": 1, "orphans": 2, "children": 1}
        # And publishing keeps it from there.
        mark_unpublished(session, session.get(Organization, org_id), "mod", "снято")
        session.commit()
        assert tally(session) == {}


# -- property: any history --------------------------------------------------------------------

CATEGORIES = ("elderly", "youth", "children", "orphans", "veterans")
index = st.integers(min_value=0, max_value=4)
category_sets = st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)
steps = st.lists(st.one_of(
    st.tuples(st.just("new_org"), st.booleans()),
    st.tuples(st.just("new_service"), index, st.booleans(), category_sets),
    st.tuples(st.just("new_project"), index, st.booleans(), category_sets),
    st.tuples(st.just("recategorize"), index, category_sets, st.booleans()),
    st.tuples(st.just("publish"), index),
    st.tuples(st.just("unpublish"), index, st.booleans()),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("drop_category"), st.sampled_from(CATEGORIES)),
), min_size=8, max_size=25)


class History(WorkflowHistory):
    """Applies steps through the workflow services, as editors and moderators would."""

    def __init__(self, session):
        super().__init__(session)
        self.dropped: set[str] = set()

    def categories(self, slugs) -> list[str]:
        return [s for s in slugs if s not in self.dropped]

    def run(self, step) -> None:
        kind, *args = step
        session = self.session
        if kind == "new_org":
            self.new_org(args[0], categories=[])
        elif kind in ("new_service", "new_project"):
            self.new_child(kind, args[0], args[1], self.categories(args[2]))
        elif kind == "drop_category":
            if args[0] not in self.dropped:
                self.dropped.add(args[0])
                session.delete(categories_by_slug(session)[args[0]])
        else:
            self.on_record(kind, self.pick(self.records, args[0]), args[1:])
        session.commit()

    def on_record(self, kind, record, args) -> None:
        session = self.session
        if record is None:
            return
        if kind == "recategorize":
            stage_edit(session, record, categories=self.categories(args[0]))
            if args[1]:
                approve(session, record, "mod", record.version)
        elif kind == "publish":  # a live record is published again (its index rewritten)
            approve(session, record, "mod", record.version)
        elif kind == "unpublish" and record.live:
            mark_unpublished(session, record, "mod", "снято", archive=args[0])
        elif kind == "delete":
            self.delete(record)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(history=steps)
def test_the_tally_equals_the_count_after_any_history(app, session, history):
    # Each example starts from an empty site with every category back.
    for org in session.scalars(select(Organization)).all():
        mark_deleted(session, org, "reset")
    seed_categories(session, app)
    session.commit()
    assert catalog.category_counts(session) == {}
    run = History(session)
    # Two published organizations to start with, so that most steps have records to act on.
    for step in (("new_org", True), ("new_org", True),
                 ("new_service", 0, True, ["children", "orphans"]),
                 ("new_project", 1, True, ["orphans", "elderly"]), *history):
        run.run(step)
        tally(session)
