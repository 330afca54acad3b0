"""The editor's story in the cabinet: forms to drafts, live records untouched, preview, submit."""

from __future__ import annotations

import re

import pytest
from cabinet_support import app_config, as_user, give_orgs  # noqa: F401
from factories import make_org, make_project, make_service, valid_inn, valid_ogrn
from sqlalchemy import select

from nko_openness import hookimpl
from nko_openness.models import Project, Revision, Service, Status, WorkflowEvent
from nko_openness.publishing import disclosure
from nko_openness.publishing.workflow import approve, latest_revision

CABINET = "/nko/cabinet"


def profile_form(org, **changes):
    data = {
        "version": str(org.version), "name": org.name, "alternate_name": "",
        "legal_form": org.legal_form, "inn": org.inn or "", "ogrn": org.ogrn or "", "kpp": "",
        "year_incorporated": "", "description": "", "mission": "",
        "activities": list(org.activities), "categories": [c.slug for c in org.categories],
        "website": "", "social_links": "", "email": "", "phone": "", "contact_role": "",
        "address": "", "locality": org.locality or "", "minjust_reports_url": "",
    }
    data.update(changes)
    return data


def service_form(**changes):
    data = {"version": "0", "name": "Консультации юриста", "service_status": "active",
            "description": "", "categories": ["elderly"], "is_free": "y",
            "minimum_age": "", "maximum_age": ""}
    data.update(changes)
    return data


def project_form(**changes):
    data = {
        "version": "0", "name": "Спорт для всех", "project_status": "active",
        "start_date": "2024-03-01", "end_date": "2024-12-31", "goal": "Вовлечь детей в спорт",
        "categories": ["children"],
        "results-0-indicator": "Участники", "results-0-unit": "чел.",
        "results-0-planned": "120", "results-0-achieved": "134",
        "results-1-indicator": "", "results-1-unit": "", "results-1-planned": "",
        "results-1-achieved": "",
        "fundings-0-funder": "Фонд президентских грантов", "fundings-0-programme": "Конкурс 2024",
        "fundings-0-amount": "1 500 000,50", "fundings-0-award_date": "2024-02-15",
    }
    data.update(changes)
    return data


@pytest.fixture
def orgs(session):
    org_a = make_org(session, name="Организация А", slug="org-a", publish=False)
    org_b = make_org(session, name="Организация Б", slug="org-b", publish=False)
    give_orgs(session, org_a, org_b)
    return org_a, org_b


@pytest.fixture
def editor(client, orgs):
    return as_user(client, "editor_a")


def test_cabinet_lists_only_my_organizations(editor):
    page = editor.get(f"{CABINET}/").get_data(as_text=True)
    assert "Организация А" in page
    assert "Организация Б" not in page
    assert "черновик" in page


def test_anonymous_visitor_is_told_to_log_in(client, orgs):
    response = as_user(client, "anonymous").get(f"{CABINET}/org-a/")
    assert response.status_code == 401
    assert "Нужно войти" in response.get_data(as_text=True)


def test_profile_edit_of_a_draft_writes_the_row_and_a_revision(editor, session, orgs):
    org_a, _ = orgs
    version = org_a.version
    response = editor.post(f"{CABINET}/org-a/profile", data=profile_form(
        org_a, mission="Помогаем пожилым людям.\n\nВторой абзац.", phone="8 (41641) 2-00-00"))
    assert response.status_code == 302
    session.expire_all()
    assert org_a.version == version + 1
    assert org_a.mission == "<p>Помогаем пожилым людям.</p><p>Второй абзац.</p>"
    assert org_a.phone == "8 (41641) 2-00-00"
    revision = latest_revision(session, org_a)
    assert revision.author_id == "editor-a"
    assert revision.data["mission"] == org_a.mission
    assert org_a.status == Status.DRAFT and not org_a.live


def test_edit_of_a_live_record_changes_only_a_new_revision(editor, session, client):
    org = make_org(session, name="Живая НКО", slug="live-org")
    give_orgs(session, org, make_org(session, publish=False))
    published_version = org.version
    response = editor.post(f"{CABINET}/live-org/profile",
                           data=profile_form(org, name="Живая НКО (новое имя)"))
    assert response.status_code == 302
    session.expire_all()
    assert org.name == "Живая НКО" and org.live
    assert org.version == published_version + 1 and org.has_unpublished_changes
    assert latest_revision(session, org).data["name"] == "Живая НКО (новое имя)"
    # The public sees the published version; the cabinet form shows the draft.
    assert "новое имя" not in client.get("/nko/organizations/live-org").get_data(as_text=True)
    assert "Живая НКО (новое имя)" in editor.get(f"{CABINET}/live-org/profile").get_data(
        as_text=True)
    # Until a moderator approves exactly this revision.
    approve(session, org, "moderator-1", reviewed_version=org.version)
    session.commit()
    assert "новое имя" in client.get("/nko/organizations/live-org").get_data(as_text=True)


def test_rich_text_is_sanitized_on_write(editor, session, orgs):
    org_a, _ = orgs
    evil = ('<p onclick="x()">Текст <a href="javascript:alert(1)">ссылка</a></p>'
            '<script>alert(1)</script><a href="https://example.org">сайт</a>')
    editor.post(f"{CABINET}/org-a/profile", data=profile_form(org_a, description=evil))
    session.expire_all()
    stored = org_a.description
    assert "script" not in stored and "onclick" not in stored and "javascript" not in stored
    assert 'rel="nofollow noopener"' in stored
    assert "Текст" in stored


def test_validation_errors_are_russian_next_to_the_field_and_keep_typed_values(
        editor, session, orgs):
    org_a, _ = orgs
    version = org_a.version
    response = editor.post(f"{CABINET}/org-a/profile", data=profile_form(
        org_a, inn="2800000001", mission="Очень длинный текст миссии, набранный вручную",
        website="example.org"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "ИНН указан с ошибкой" in page
    assert "начинающийся с http://" in page
    # The error is tied to its input for screen readers, and what was typed is still there.
    assert re.search(r'<input[^>]*aria-describedby="[^"]*inn-error"[^>]*id="inn"', page) or \
        re.search(r'<input[^>]*id="inn"[^>]*aria-describedby="[^"]*inn-error"', page)
    assert 'id="inn-error"' in page
    assert 'value="2800000001"' in page
    assert "Очень длинный текст миссии, набранный вручную" in page
    assert 'href="#inn"' in page  # the summary links to the field
    session.expire_all()
    assert org_a.version == version


def test_forged_fields_never_reach_the_record(editor, session, orgs):
    org_a, org_b = orgs
    response = editor.post(f"{CABINET}/org-a/profile", data=profile_form(
        org_a, organization_id=str(org_b.id), id=str(org_b.id), status="published", live="y",
        has_unpublished_changes="", slug="hijacked", uuid=str(org_b.uuid), version=str(
            org_a.version)))
    assert response.status_code == 302
    session.expire_all()
    assert (org_a.status, org_a.live, org_a.slug) == (Status.DRAFT, False, "org-a")
    assert org_a.uuid != org_b.uuid

    response = editor.post(f"{CABINET}/org-a/services/new",
                           data=service_form(organization_id=str(org_b.id), status="published",
                                             live="y"))
    assert response.status_code == 302
    service = session.scalar(select(Service).where(Service.name == "Консультации юриста"))
    assert service.organization_id == org_a.id
    assert (service.status, service.live) == (Status.DRAFT, False)


def test_new_service_and_project_with_results_and_funding(editor, session, orgs):
    assert editor.post(f"{CABINET}/org-a/services/new", data=service_form(
        minimum_age="60", description="<b>Бесплатно</b> каждую среду")).status_code == 302
    response = editor.post(f"{CABINET}/org-a/projects/new", data=project_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    project = session.scalar(select(Project).where(Project.name == "Спорт для всех"))
    assert [(r.indicator, r.unit, str(r.planned), str(r.achieved)) for r in project.results] == [
        ("Участники", "чел.", "120.00", "134.00")]
    (funding,) = project.fundings
    assert (funding.funder, str(funding.amount), funding.award_date.isoformat()) == (
        "Фонд президентских грантов", "1500000.50", "2024-02-15")
    assert [c.slug for c in project.categories] == ["children"]
    assert project.goal == "<p>Вовлечь детей в спорт</p>"
    service = session.scalar(select(Service).where(Service.name == "Консультации юриста"))
    assert service.minimum_age == 60 and service.description == "<b>Бесплатно</b> каждую среду"

    # Editing again shows the saved rows, numbers as typed, not "120.00".
    page = editor.get(f"{CABINET}/org-a/projects/{project.uuid}").get_data(as_text=True)
    assert 'value="120"' in page and 'value="1500000.50"' in page


def test_add_row_keeps_what_was_typed_and_saves_nothing(editor, session, orgs):
    response = editor.post(f"{CABINET}/org-a/projects/new",
                           data=project_form(add_result="Добавить строку результатов"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="results-2-indicator"' in page
    assert 'value="Участники"' in page and 'value="1 500 000,50"' in page
    assert session.scalar(select(Project).where(Project.name == "Спорт для всех")) is None


def test_row_errors_land_next_to_the_row(editor, orgs):
    response = editor.post(f"{CABINET}/org-a/projects/new", data=project_form(**{
        "results-0-indicator": "", "results-0-planned": "много", "end_date": "2023-01-01"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="results-0-planned-error"' in page and "Введите число" in page
    assert "Укажите показатель." in page
    assert "Дата окончания раньше даты начала." in page


def test_removed_rows_are_dropped(editor, session, orgs):
    editor.post(f"{CABINET}/org-a/projects/new",
                data=project_form(**{"fundings-0-remove": "y"}))
    project = session.scalar(select(Project).where(Project.name == "Спорт для всех"))
    assert project.fundings == [] and len(project.results) == 1


def test_plugin_validation_errors_are_shown(app, session, orgs):
    class NoSundays:
        @hookimpl
        def nko_validate(self, app, entity, data):
            if entity == "service" and "воскресенье" in (data.get("schedule_description") or ""):
                return {"schedule_description": "По воскресеньям услуги не оказываются."}

    app.extensions["nko_openness"].pm.register(NoSundays())
    client = as_user(app.test_client(), "editor_a")
    response = client.post(f"{CABINET}/org-a/services/new",
                           data=service_form(schedule_description="Каждое воскресенье"))
    assert response.status_code == 422
    assert "По воскресеньям услуги не оказываются." in response.get_data(as_text=True)


def test_preview_shows_the_draft_as_the_public_would(editor, session):
    org = make_org(session, name="Опубликованная НКО", slug="pub-org")
    service = make_service(session, org, name="Старое название услуги")
    give_orgs(session, org, make_org(session, publish=False))
    editor.post(f"{CABINET}/pub-org/services/{service.uuid}",
                data=service_form(version=str(service.version), name="Новое название услуги"))
    page = editor.get(f"{CABINET}/pub-org/services/{service.uuid}/preview").get_data(as_text=True)
    assert "Предварительный просмотр" in page
    assert "<h1>Новое название услуги</h1>" in page
    assert 'content="noindex, nofollow"' in page
    whole = editor.get(f"{CABINET}/pub-org/preview").get_data(as_text=True)
    assert "Новое название услуги" in whole and "Старое название услуги" not in whole
    # Previewing writes nothing.
    session.expire_all()
    assert service.name == "Старое название услуги"


def test_submit_sends_chosen_records_and_fires_the_hook(app, editor, session, orgs):
    org_a, _ = orgs
    seen = []

    class Listener:
        @hookimpl
        def nko_after_submit(self, app, record, user):
            seen.append((record.name, user.id))

    app.extensions["nko_openness"].pm.register(Listener())
    editor.post(f"{CABINET}/org-a/services/new", data=service_form())
    service = session.scalar(select(Service).where(Service.name == "Консультации юриста"))
    page = editor.get(f"{CABINET}/org-a/").get_data(as_text=True)
    assert f"service:{service.uuid}:{service.version}" in page

    response = editor.post(f"{CABINET}/org-a/submit", data={"item": [
        f"organization:{org_a.uuid}:{org_a.version}",
        f"service:{service.uuid}:{service.version}"]})
    assert response.status_code == 302
    session.expire_all()
    assert org_a.status == service.status == Status.SUBMITTED
    assert sorted(seen) == sorted([("Организация А", "editor-a"),
                                   ("Консультации юриста", "editor-a")])
    events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "submit")).all()
    assert {e.user_id for e in events} == {"editor-a"}
    assert "на проверке" in editor.get(f"{CABINET}/").get_data(as_text=True)


def test_submit_of_a_changed_record_is_a_conflict(editor, session, orgs):
    org_a, _ = orgs
    stale = f"organization:{org_a.uuid}:{org_a.version}"
    editor.post(f"{CABINET}/org-a/profile", data=profile_form(org_a, phone="123"))
    response = editor.post(f"{CABINET}/org-a/submit", data={"item": [stale]})
    assert response.status_code == 409
    assert "сведения изменились" in response.get_data(as_text=True)
    session.expire_all()
    assert org_a.status == Status.DRAFT


def test_returned_record_shows_the_moderators_comment(editor, session, orgs):
    from nko_openness.publishing.workflow import mark_returned, mark_submitted

    org_a, _ = orgs
    mark_submitted(session, org_a, "editor-a", org_a.version)
    mark_returned(session, org_a, "moderator-1", "Уточните миссию организации.")
    session.commit()
    page = editor.get(f"{CABINET}/org-a/").get_data(as_text=True)
    assert "Уточните миссию организации." in page and "возвращено" in page
    assert f"organization:{org_a.uuid}" in page  # it can be sent again
    assert "Уточните миссию организации." in editor.get(f"{CABINET}/").get_data(as_text=True)


def test_second_writer_gets_a_conflict_page_with_both_versions(session, client, orgs):
    org_a, _ = orgs
    opened_at = org_a.version
    first = as_user(client, "editor_a").post(f"{CABINET}/org-a/profile", data=profile_form(
        org_a, version=str(opened_at), mission="Версия первого редактора"))
    assert first.status_code == 302
    second = client.post(f"{CABINET}/org-a/profile", data=profile_form(
        org_a, version=str(opened_at), mission="Версия второго редактора"))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Ваши изменения не сохранены" in page
    assert "Версия первого редактора" in page and "Версия второго редактора" in page
    # The form carries the new version: saving again is a deliberate choice, not a race.
    assert f'name="version" type="hidden" value="{opened_at + 1}"' in page
    session.expire_all()
    assert disclosure.draft_data(session, org_a)["mission"] == "<p>Версия первого редактора</p>"


def test_a_form_without_its_version_cannot_overwrite(editor, session, orgs):
    org_a, _ = orgs
    data = profile_form(org_a, mission="Без версии")
    del data["version"]
    assert editor.post(f"{CABINET}/org-a/profile", data=data).status_code == 400
    session.expire_all()
    assert org_a.mission is None


def test_a_failure_before_commit_leaves_the_old_state(editor, session, orgs, monkeypatch):
    org_a, _ = orgs
    version, name = org_a.version, org_a.name

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    # The row has been changed in the transaction when the revision write fails.
    monkeypatch.setattr(disclosure, "save_revision", crash)
    editor.application.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError):
        editor.post(f"{CABINET}/org-a/profile", data=profile_form(org_a, name="Половина"))
    session.rollback()
    session.expire_all()
    assert (org_a.version, org_a.name) == (version, name)
    revisions = session.scalars(select(Revision).where(Revision.entity_uuid == org_a.uuid))
    assert max(r.number for r in revisions) == version


def test_html_for_editing_round_trips_plain_text():
    text = "Первый абзац, 2 < 3.\nНовая строка.\n\nВторой абзац & ещё."
    stored = disclosure.text_to_html(text)
    assert stored == ("<p>Первый абзац, 2 &lt; 3.<br>Новая строка.</p>"
                      "<p>Второй абзац &amp; ещё.</p>")
    assert disclosure.html_for_editing(stored) == text
    assert disclosure.html_for_editing('<p><a href="https://x.ru">x</a></p>') == \
        '<p><a href="https://x.ru">x</a></p>'


def test_invalid_registration_numbers_and_informal_groups(app, session, orgs):
    org_a, _ = orgs
    with app.test_request_context():
        with pytest.raises(disclosure.DisclosureInvalid) as caught:
            disclosure.save_draft(session, app, org_a, {"inn": "", "ogrn": "123"}, "editor-a",
                                  org_a.version)
        assert set(caught.value.errors) == {"inn", "ogrn"}
        # A group without legal entity needs neither.
        disclosure.save_draft(session, app, org_a, {"legal_form": "informal_group", "inn": "",
                                                    "ogrn": ""}, "editor-a", org_a.version)
        session.commit()
    assert org_a.inn is None and org_a.legal_form == "informal_group"


def test_moderator_reads_but_cannot_write(client, session, orgs):
    org_a, _ = orgs
    moderator = as_user(client, "moderator")
    assert moderator.get(f"{CABINET}/org-a/").status_code == 200
    assert moderator.get(f"{CABINET}/org-a/profile").status_code == 403
    assert moderator.post(f"{CABINET}/org-a/profile",
                          data=profile_form(org_a, name="Модератор")).status_code == 403


def test_admin_creates_an_organization(client, session):
    admin = as_user(client, "admin")
    response = admin.post(f"{CABINET}/new", data={
        "name": "АНО «Новая»", "slug": "", "legal_form": "ano", "inn": valid_inn(9001),
        "ogrn": valid_ogrn(9001), "activities": ["social_support"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/nko/cabinet/ano-novaia/")
    assert admin.get(f"{CABINET}/ano-novaia/").status_code == 200
    assert as_user(client, "editor_a").get(f"{CABINET}/new").status_code == 403


def test_project_page_keeps_rows_of_a_live_project(editor, session):
    org = make_org(session, slug="rows-org")
    give_orgs(session, org, make_org(session, publish=False))
    project = make_project(session, org, name="Живой проект")
    form = project_form(version=str(project.version), name="Живой проект")
    assert editor.post(f"{CABINET}/rows-org/projects/{project.uuid}",
                       data=form).status_code == 302
    session.expire_all()
    assert project.results == []  # the live row is untouched
    assert latest_revision(session, project).data["results"][0]["indicator"] == "Участники"
