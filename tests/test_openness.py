"""The openness checklist: score, what to fill next, draft vs published, the public badge."""

from __future__ import annotations

from datetime import date

import pytest
from factories import make_org, make_project, make_service
from test_moderation import edit_draft

from nko_openness.models import Document, ProjectFunding
from nko_openness.publishing import openness
from nko_openness.publishing.openness import CHECKLIST, Disclosure, evaluate

TODAY = date(2025, 6, 1)
COMPLETE_ORG = {
    "legal_form": "ano", "website": "https://sportiya.example", "social_links": [],
    "phone": "+7 416 41 2-00-00", "email": "info@sportiya.example", "inn": "2804000000",
    "ogrn": "1232800000000", "address": "ул. Ленина, 1", "mission": "<p>Спорт для всех</p>",
    "activities": ["sport_healthy_lifestyle"], "categories": ["youth"],
    "minjust_reports_url": None,
}
RECENT_PROJECT = {"start_date": "2023-03-01", "end_date": "2024-12-31", "fundings": [
    {"funder": "Фонд президентских грантов"}]}


def complete(**changes) -> Disclosure:
    data = {"organization": dict(COMPLETE_ORG), "services": 1, "projects": [RECENT_PROJECT],
            "documents": [{"kind": "charter", "year": None},
                          {"kind": "annual_report", "year": 2024}], "today": TODAY}
    data.update(changes)
    return Disclosure(**data)


def keys(items):
    return [i.key for i in items]


def test_checklist_covers_the_law_and_the_standard():
    assert keys(CHECKLIST) == ["website", "charter", "contacts", "requisites", "address",
                               "mission", "activities", "categories", "services", "projects",
                               "reports", "funding"]


def test_a_complete_disclosure_scores_100_with_nothing_next():
    report = evaluate(complete())
    assert (report.score, report.done_count, report.total) == (100, 12, 12)
    assert report.next_steps == [] and report.level == "high"


def test_an_empty_organization_gets_every_step_in_checklist_order():
    report = evaluate(Disclosure({"legal_form": "ano"}, 0, [], [], TODAY))
    assert report.score == 0 and report.level == "low"
    assert keys(report.next_steps) == keys(CHECKLIST)
    assert "устав" in str(report.next_steps[1].hint)


def test_each_item_notices_what_is_missing():
    org = dict(COMPLETE_ORG, website=None, social_links=["https://vk.com/sportiya"])
    assert evaluate(complete(organization=org)).score == 100  # a social page is a site too
    cases = {
        "contacts": dict(COMPLETE_ORG, email=""),
        "requisites": dict(COMPLETE_ORG, ogrn=None),
        "mission": dict(COMPLETE_ORG, mission="<p> </p>"),
        "activities": dict(COMPLETE_ORG, activities=[]),
        "reports": None,
    }
    for key, org in cases.items():
        if org is None:
            report = evaluate(complete(documents=[{"kind": "charter", "year": None}]))
        else:
            report = evaluate(complete(organization=org))
        assert keys(report.next_steps) == [key], key
        assert report.score == 11 * 100 // 12


def test_projects_count_for_three_years_and_fundings_only_for_those():
    old = {"start_date": "2018-01-01", "end_date": "2021-12-31", "fundings": [{"funder": "X"}]}
    running = {"start_date": "2015-01-01", "end_date": None, "fundings": []}
    assert keys(evaluate(complete(projects=[old])).next_steps) == ["projects", "funding"]
    assert keys(evaluate(complete(projects=[old, running])).next_steps) == ["funding"]
    edge = {"start_date": "2021-06-01", "end_date": "2022-01-01", "fundings": [{"f": 1}]}
    assert evaluate(complete(projects=[edge])).score == 100


def test_old_reports_do_not_count_but_the_minjust_link_does():
    stale = [{"kind": "charter", "year": None}, {"kind": "annual_report", "year": 2020}]
    assert keys(evaluate(complete(documents=stale)).next_steps) == ["reports"]
    org = dict(COMPLETE_ORG, minjust_reports_url="https://unro.minjust.ru/x")
    assert evaluate(complete(documents=stale, organization=org)).score == 100


def test_groups_without_legal_entity_are_not_asked_for_charter_or_inn():
    org = dict(COMPLETE_ORG, legal_form="informal_group", inn=None, ogrn=None)
    report = evaluate(complete(organization=org, documents=[
        {"kind": "annual_report", "year": 2025}]))
    assert report.total == 10 and report.score == 100


def test_public_score_sees_only_published_content(session):
    org = make_org(session, website="https://a.example", address="ул. Мира, 1")
    make_service(session, org)
    make_service(session, org, name="Черновик", publish=False)
    make_project(session, org, start_date=date.today(), publish=False,
                 fundings=[ProjectFunding(funder="Администрация города", position=0)])
    session.add(Document(organization_id=org.id, kind="charter", title="Устав",
                         original_filename="устав.pdf", stored_name="b" * 32 + ".pdf",
                         size=1, live=False))
    session.commit()
    public = openness.for_public(session, org)
    done = {r.item.key for r in public.items if r.done}
    assert {"website", "address", "services", "requisites", "activities"} <= done
    assert not done & {"charter", "projects", "funding", "mission"}
    # The editor's working version counts the draft project and the pending charter.
    cabinet = openness.for_cabinet(session, org)
    assert {"charter", "projects", "funding"} <= {r.item.key for r in cabinet.items if r.done}
    assert cabinet.score > public.score


def test_cabinet_score_reads_the_latest_revision_of_a_live_organization(session):
    org = make_org(session)
    edit_draft(session, org, mission="<p>Миссия в черновике</p>", phone="+7 1", email="a@b.ru")
    cabinet = {r.item.key for r in openness.for_cabinet(session, org).items if r.done}
    public = {r.item.key for r in openness.for_public(session, org).items if r.done}
    assert {"mission", "contacts"} <= cabinet and not {"mission", "contacts"} & public


@pytest.fixture
def app_config(request):
    return {"NKO_SHOW_OPENNESS_BADGE": getattr(request, "param", False)}


def test_no_badge_unless_the_host_enables_it(session, client):
    org = make_org(session)
    page = client.get(f"/nko/organizations/{org.slug}").get_data(as_text=True)
    assert "Открытость:" not in page


@pytest.mark.parametrize("app_config", [True], indirect=True)
def test_badge_on_the_public_profile_when_enabled(session, client, app_config):
    org = make_org(session, mission="<p>Миссия</p>", address="ул. Мира, 1")
    make_service(session, org)
    report = openness.for_public(session, org)
    page = client.get(f"/nko/organizations/{org.slug}").get_data(as_text=True)
    assert f"Открытость: {report.score} %" in page
    assert f"Заполнено {report.done_count} из {report.total}" in page


def test_checklist_macro_renders_next_steps_with_links(app):
    from flask import render_template_string

    report = evaluate(Disclosure({"legal_form": "ano", "phone": "1", "email": "a@b"}, 0, [],
                                 [], TODAY))
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "nko_openness/_openness.html" import openness_checklist with context %}'
            '{{ openness_checklist(report, {"documents": "/docs"}) }}',
            report=report, _=lambda s, **kw: s % kw if kw else s)
    assert "Заполнено 1 из 12 пунктов (8 %)" in html
    assert "Что заполнить дальше" in html and 'href="/docs"' in html
    assert html.index("Сайт или страница") < html.index("Устав")
