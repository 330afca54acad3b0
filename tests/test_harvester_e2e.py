"""The harvester mirrors two live example sites exactly, through edits, withdrawals and crashes.

Two instances of examples/host_site run on 127.0.0.1 ports with their own SQLite files; the
replica is the test database (SQLite, and PostgreSQL when configured). After every harvest
each source's records must equal that source's own snapshot, and the regional records must
equal an independent grouping of the published organizations by ОГРН, then ИНН.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from api_support import stage_edit
from factories import make_org, make_project, make_service, valid_inn, valid_ogrn
from sqlalchemy import create_engine, select
from test_harvester_support import LiveSite, canonical, regional_rows, replica_records

from nko_openness.harvester import Harvester, SourceConfig, store
from nko_openness.harvester.schema import source
from nko_openness.models import Organization, Project, Service
from nko_openness.publishing.workflow import (
    approve,
    commit_and_announce,
    mark_deleted,
    mark_unpublished,
)


@pytest.fixture
def sites(tmp_path):
    belogorsk = LiveSite(tmp_path / "belogorsk", "belogorsk", demo=True)
    svobodny = LiveSite(tmp_path / "svobodny", "svobodny")
    with belogorsk.session() as session:
        demo = session.scalars(select(Organization).where(
            Organization.live.is_(True), Organization.ogrn.is_not(None))
            .order_by(Organization.slug)).all()
        shared, by_inn = (demo[0].ogrn, demo[0].inn), (demo[1].ogrn, demo[1].inn)
    with svobodny.session() as session:
        # The same НКО registered in both cities: same ОГРН, its own page and name here.
        org = make_org(session, name="Филиал в Свободном", ogrn=shared[0], inn=shared[1])
        make_service(session, org, name="Консультации в Свободном")
        # Known here by ИНН only: matched through the ОГРН that Belogorsk gives that ИНН.
        make_org(session, name="Без ОГРН", ogrn=None, inn=by_inn[1])
        local = make_org(session, name="Местная НКО", ogrn=valid_ogrn(8101),
                         inn=valid_inn(8101))
        make_project(session, local, name="Местный проект")
        make_org(session, name="Группа без юрлица", legal_form="informal_group",
                 ogrn=None, inn=None)
        make_org(session, name="Черновик", publish=False)
    yield belogorsk, svobodny
    belogorsk.close()
    svobodny.close()


def configs(*sites: LiveSite, **kwargs) -> list[SourceConfig]:
    return [SourceConfig(name=s.name, url=s.url, title=s.name.title(), **kwargs) for s in sites]


def expected_groups(published: dict[str, dict]) -> set[frozenset]:
    """An oracle for the regional records: published organizations grouped by ОГРН, then ИНН."""
    orgs = []
    for name, records in published.items():
        for (kind, ident), data in records.items():
            if kind == "organization":
                ids = {i["identifier_scheme"]: i["identifier"]
                       for i in data.get("organization_identifiers", [])}
                orgs.append((name, ident, ids.get("RU-OGRN"), ids.get("RU-INN")))
    inn_ogrn: dict[str, str] = {}
    for _, _, ogrn, inn in orgs:
        if ogrn and inn:
            inn_ogrn[inn] = min(ogrn, inn_ogrn.get(inn, ogrn))
    groups: dict[str, set] = {}
    for name, ident, ogrn, inn in orgs:
        key = (f"ogrn:{ogrn}" if ogrn else f"ogrn:{inn_ogrn[inn]}" if inn in inn_ogrn
               else f"inn:{inn}" if inn else f"record:{name}:{ident}")
        groups.setdefault(key, set()).add((name, ident))
    return {frozenset(members) for members in groups.values()}


def assert_replica_exact(database_url: str, *sites: LiveSite) -> None:
    published = {site.name: site.published() for site in sites}
    for site in sites:
        assert canonical(replica_records(database_url, site.name)) \
            == canonical(published[site.name])
    rows = regional_rows(database_url)
    assert {frozenset((s["source"], s["id"]) for s in row["sources"]) for row in rows} \
        == expected_groups(published)
    for row in rows:
        assert row["source_count"] == len({s["source"] for s in row["sources"]})


def harvest(database_url: str, *sites: LiveSite, **kwargs):
    with Harvester(database_url, configs(*sites), **kwargs) as harvester:
        report = harvester.run_once()
    return report


def test_two_live_sites_are_mirrored_through_every_kind_of_change(database_url, sites):
    belogorsk, svobodny = sites
    report = harvest(database_url, belogorsk, svobodny, page_size=5)
    assert [r.ok for r in report.results] == [True, True], report.results
    assert all(r.bootstrapped for r in report.results)
    assert "Загружен снимок" in report.results[0].message
    assert_replica_exact(database_url, belogorsk, svobodny)

    shared = next(row for row in regional_rows(database_url) if row["source_count"] == 2
                  and "Филиал в Свободном" in {s["name"] for s in row["sources"]})
    assert [s["source"] for s in shared["sources"]] == ["belogorsk", "svobodny"]
    assert shared["key"] == f"ogrn:{shared['ogrn']}" and shared["inn"]
    assert all(s["uri"].startswith("http://127.0.0.1:") for s in shared["sources"])
    informal = [r for r in regional_rows(database_url) if r["name"] == "Группа без юрлица"]
    assert len(informal) == 1 and informal[0]["key"].startswith("record:")

    # Edits, withdrawals and deletions on both sites, through the workflow services.
    with belogorsk.session() as session:
        service = session.scalars(select(Service).where(Service.live.is_(True))
                                  .order_by(Service.name)).first()
        stage_edit(session, service, name="Услуга после правки")
        outcome = approve(session, service, "moderator", service.version)
        commit_and_announce(session, belogorsk.app, outcome)
        draft = session.scalars(select(Service).where(Service.live.is_(True))
                                .order_by(Service.name.desc())).first()
        stage_edit(session, draft, name="ЧЕРНОВИК: не опубликован")
        session.commit()
        project = session.scalars(select(Project).where(Project.live.is_(True))).first()
        commit_and_announce(session, belogorsk.app, mark_deleted(session, project, "moderator"))
        gone = session.scalars(select(Organization).where(Organization.live.is_(True))
                               .order_by(Organization.slug.desc())).first()
        commit_and_announce(session, belogorsk.app,
                            mark_unpublished(session, gone, "moderator", "Проверка"))
        newcomer = make_org(session, name="Новая НКО Белогорска")
        make_service(session, newcomer, name="Новая услуга")
    with svobodny.session() as session:
        branch = session.scalars(select(Organization)
                                 .where(Organization.name == "Филиал в Свободном")).one()
        stage_edit(session, branch, name="Филиал в Свободном (новое название)")
        commit_and_announce(session, svobodny.app,
                            approve(session, branch, "moderator", branch.version))
        by_inn = session.scalars(select(Organization).where(Organization.name == "Без ОГРН")).one()
        commit_and_announce(session, svobodny.app, mark_deleted(session, by_inn, "moderator"))

    report = harvest(database_url, belogorsk, svobodny, page_size=2)
    assert [r.ok for r in report.results] == [True, True], report.results
    assert not any(r.bootstrapped for r in report.results)
    assert report.results[0].applied >= 5 and "Применено изменений" in report.results[0].message
    assert_replica_exact(database_url, belogorsk, svobodny)
    names = {d["name"] for d in replica_records(database_url, "belogorsk").values()}
    assert "Услуга после правки" in names and "Новая услуга" in names
    assert "ЧЕРНОВИК: не опубликован" not in names
    shared = next(row for row in regional_rows(database_url) if row["key"] == shared["key"])
    # The name most recently published anywhere names the regional record.
    assert shared["name"] == "Филиал в Свободном (новое название)"

    # Nothing new: the stored ETag gets a 304, nothing is applied, the replica stays exact.
    report = harvest(database_url, belogorsk, svobodny)
    assert [(r.ok, r.applied) for r in report.results] == [(True, 0), (True, 0)]
    assert "Новых изменений нет" in report.results[1].message

    # The shared НКО leaves Belogorsk: its regional record keeps one source.
    with belogorsk.session() as session:
        org = session.scalars(select(Organization).where(Organization.ogrn == shared["ogrn"])).one()
        commit_and_announce(session, belogorsk.app, mark_unpublished(session, org, "m", None))
    harvest(database_url, belogorsk, svobodny)
    assert_replica_exact(database_url, belogorsk, svobodny)
    row = next(row for row in regional_rows(database_url) if row["key"] == shared["key"])
    assert [s["source"] for s in row["sources"]] == ["svobodny"]


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the harvester catches it."""


def test_a_crash_inside_any_transaction_loses_nothing_and_duplicates_nothing(
        database_url, sites, monkeypatch):
    belogorsk, svobodny = sites
    real_apply = store.apply_items
    engine = create_engine(database_url)

    def cursors() -> dict[int, int | None]:
        # Another connection: what is committed while the crashing transaction is still open.
        with engine.connect() as conn:
            return dict(conn.execute(select(source.c.id, source.c.cursor)).all())

    seen: dict = {"kinds": set()}

    def crash_on(call: int):
        calls = {"n": 0}

        def apply(conn, source_id, items, affected):
            applied = real_apply(conn, source_id, items, affected)
            calls["n"] += 1
            if calls["n"] == call:
                seen["cursors"] = cursors()
                seen["kinds"].add("snapshot" if seen["cursors"].get(source_id) is None
                                  else "changes")
                raise Crash
            return applied
        return apply

    crashes = 0
    for round_number in range(8):
        # Something changes on a site between the attempts: the replica must follow anyway.
        with belogorsk.session() as session:
            service = session.scalars(select(Service).where(Service.live.is_(True))
                                      .order_by(Service.id).offset(round_number)).first()
            stage_edit(session, service, name=f"Правка {round_number}")
            commit_and_announce(session, belogorsk.app,
                                approve(session, service, "m", service.version))
        monkeypatch.setattr(store, "apply_items", crash_on(1 + round_number % 3))
        try:
            harvest(database_url, belogorsk, svobodny, page_size=3)
        except Crash:
            crashes += 1
            # The crashed transaction left no trace: the cursors are as committed before it.
            assert cursors() == seen["cursors"]
    assert crashes >= 5 and seen["kinds"] == {"snapshot", "changes"}
    monkeypatch.setattr(store, "apply_items", real_apply)
    report = harvest(database_url, belogorsk, svobodny, page_size=3)
    assert [r.ok for r in report.results] == [True, True], report.results
    assert_replica_exact(database_url, belogorsk, svobodny)
    engine.dispose()


def test_a_harvest_process_killed_mid_run_resumes_exactly(database_url, sites, tmp_path):
    belogorsk, svobodny = sites
    harvest(database_url, belogorsk, svobodny)
    with belogorsk.session() as session:  # a dozen changes: one page each below
        for service in session.scalars(select(Service).where(Service.live.is_(True))
                                       .order_by(Service.id).limit(12)):
            stage_edit(session, service, name=service.name + " (ред.)")
            approve(session, service, "moderator", service.version)
        session.commit()
    config = tmp_path / "harvest.toml"
    config.write_text(f'database = "{database_url}"\npage_size = 1\n' + "".join(
        f'\n[[sources]]\nname = "{s.name}"\nurl = "{s.url}"\n' for s in (belogorsk, svobodny)),
        encoding="utf-8")
    engine = create_engine(database_url)

    def cursor() -> int:
        with engine.connect() as conn:
            return conn.execute(select(source.c.cursor)
                                .where(source.c.name == "belogorsk")).scalar_one()

    start = cursor()
    process = subprocess.Popen(
        [sys.executable, "-m", "nko_openness.harvester", "harvest", "-c", str(config),
         "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while cursor() == start and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()  # SIGKILL: no handler, no rollback by Python, only the database's own
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the harvest ended before it was killed"
    assert cursor() > start  # some pages were committed before the kill...
    report = harvest(database_url, belogorsk, svobodny)
    assert [r.ok for r in report.results] == [True, True], report.results
    assert report.results[0].applied > 0 and not report.results[0].bootstrapped  # ...not all
    assert_replica_exact(database_url, belogorsk, svobodny)
    engine.dispose()
