"""Moderation: the queue, the diff, approve/return/unpublish/archive and what each one writes."""

from __future__ import annotations

import re

import pytest
from factories import make_org, make_project, make_service
from sqlalchemy import func, select

from nko_openness import hookimpl
from nko_openness.models import Change, Document, Revision, Status, WorkflowEvent
from nko_openness.moderation import review as moderation
from nko_openness.publishing.workflow import entity_type, mark_submitted, snapshot


class FakeUser:
    """What a host's user object offers the module: an id, a role and Flask-Login's flags."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, id, nko_role=None):
        self.id = id
        self.nko_role = nko_role

    def get_id(self):
        return str(self.id)


class LoggedIn:
    """A temporary plugin: the host says who is logged in (None: a visitor)."""

    def __init__(self):
        self.user = None

    @hookimpl
    def nko_current_user(self, app):
        return self.user


class Recorder:
    """Remembers the notify hooks it was called with, and whether the data was committed."""

    def __init__(self, app):
        self.app = app
        self.calls = []

    def _committed_status(self, record):
        # A fresh connection sees only committed data.
        engine = self.app.extensions["nko_openness"].db.engine
        table = type(record).__table__
        with engine.connect() as conn:
            return conn.execute(select(table.c.status).where(table.c.id == record.id)).scalar()

    @hookimpl
    def nko_after_publish(self, record, change):
        self.calls.append(("publish", record.name, change, self._committed_status(record)))

    @hookimpl
    def nko_after_unpublish(self, record, change):
        self.calls.append(("unpublish", record.name, change, self._committed_status(record)))

    @hookimpl
    def nko_after_return(self, record, user, comment):
        self.calls.append(("return", record.name, comment, self._committed_status(record)))


@pytest.fixture
def login(app):
    plugin = LoggedIn()
    pm = app.extensions["nko_openness"].pm
    pm.register(plugin)
    yield plugin
    pm.unregister(plugin)


@pytest.fixture
def recorder(app):
    plugin = Recorder(app)
    pm = app.extensions["nko_openness"].pm
    pm.register(plugin)
    yield plugin
    pm.unregister(plugin)


MODERATOR = FakeUser("moderator-1", "moderator")
OTHER_MODERATOR = FakeUser("moderator-2", "moderator")


def edit_draft(session, record, author="editor-1", **changes):
    """An editor's save of a live record: a new revision, the row keeps the live content."""
    data = snapshot(record)
    if record.version:
        latest = session.scalar(select(Revision.data).where(
            Revision.entity_type == entity_type(record), Revision.entity_uuid == record.uuid,
            Revision.number == record.version))
        data = dict(latest or data)
    data.update(changes)
    record.version += 1
    record.has_unpublished_changes = True
    if record.status in (Status.PUBLISHED, Status.UNPUBLISHED):
        record.status = Status.DRAFT
    session.add(Revision(entity_type=entity_type(record), entity_uuid=record.uuid,
                         number=record.version, data=data, author_id=author))
    session.commit()
    return record


def submit(session, record, author="editor-1"):
    mark_submitted(session, record, author)
    session.commit()
    return record


def text(response):
    return response.get_data(as_text=True)


def review_url(kind, record):
    return f"/nko/moderation/{kind}/{record.uuid}"


def changes(session):
    return session.scalar(select(func.count()).select_from(Change))


# ---------------------------------------------------------------- the queue


def test_queue_lists_submissions_oldest_first_grouped_by_organization(session, client, login):
    first = make_org(session, name="Первая НКО", publish=False)
    second = make_org(session, name="Вторая НКО")
    service = make_service(session, second, name="Секция бокса", publish=False)
    draft_only = make_service(session, second, name="Черновая услуга", publish=False)
    submit(session, service)
    submit(session, first)
    edit_draft(session, second, mission="<p>Новая миссия</p>", name="Вторая НКО (новое имя)")
    submit(session, second)

    queue = moderation.submission_queue(session)
    assert queue.total == 3
    assert [g.organization.name for g in queue.groups] == ["Вторая НКО", "Первая НКО"]
    assert [i.name for i in queue.groups[0].items] == ["Секция бокса", "Вторая НКО (новое имя)"]
    assert queue.groups[0].items[0].is_new and not queue.groups[0].items[1].is_new

    login.user = MODERATOR
    page = text(client.get("/nko/moderation/"))
    assert "Ожидают проверки: 3" in page
    assert ("Вторая НКО (новое имя)</a> <span class=\"nko-meta\">(сейчас на сайте: "
            "Вторая НКО)") in page
    assert page.index("Вторая НКО") < page.index("Первая НКО")
    assert "Секция бокса" in page and draft_only.name not in page
    assert "изменения опубликованной" in page and "новая запись" in page


def test_empty_queue_says_so_and_is_never_cached(client, login):
    login.user = MODERATOR
    response = client.get("/nko/moderation/")
    assert "Новых заявок нет" in text(response)
    assert response.headers["Cache-Control"] == "private, no-store"


# ---------------------------------------------------------------- the diff


def test_review_shows_field_by_field_diff_of_published_and_submitted(session, client, login):
    org = make_org(session, name="АНО «Доброе дело»", mission="<p>Помогать пожилым людям</p>",
                   phone="+7 416 41 2-00-00", categories=["elderly"])
    edit_draft(session, org, mission="<p>Помогать <strong>пожилым</strong> людям и "
                                     "семьям</p><script>x</script>",
               phone="+7 416 41 3-00-00", categories=["elderly", "families"])
    submit(session, org)
    login.user = MODERATOR
    page = text(client.get(review_url("organizations", org)))
    # Rich text is compared as text: only the added words are marked, not the markup.
    assert "людям<ins> и семьям</ins>" in page
    assert "&lt;strong&gt;" not in page and "<strong>пожилым" not in page
    assert re.search(r"<del>.*\+7 416 41 2-00-00</del>", page)
    assert re.search(r"<ins>.*\+7 416 41 3-00-00</ins>", page)
    assert re.search(r"<ins>.*Семьи с детьми</ins>", page)
    assert "Поля без изменений" in page
    assert "Версия на проверке: 2" in page and "опубликованной версией 1" in page


def test_diff_service_marks_words_lists_and_result_rows():
    from nko_openness.publishing.diff import diff_snapshots

    before = {"name": "Спорт", "description": "<p>Занятия для всех</p>",
              "results": [{"indicator": "Участники", "unit": "чел.", "planned": "100.00",
                           "achieved": None}],
              "categories": ["youth"], "is_free": True, "extra": {"okved": "88.99"}}
    after = {**before, "description": "<p>Занятия для всех жителей</p>",
             "results": [{"indicator": "Участники", "unit": "чел.", "planned": "100.00",
                          "achieved": "120"}],
             "categories": ["elderly"], "is_free": False, "extra": {"okved": "94.99"}}
    diff = diff_snapshots("program", before, after, {"youth": "Молодёжь", "elderly": "Пожилые"},
                          {"okved": "ОКВЭД"})
    by_key = {f.key: f for f in diff.changed}
    assert by_key["description"].segments == [("equal", "Занятия для всех"),
                                              ("insert", " жителей")]
    assert by_key["results"].lines == [("-", "Участники (чел.) — план 100, факт —"),
                                       ("+", "Участники (чел.) — план 100, факт 120")]
    assert (by_key["categories"].added, by_key["categories"].removed) == (["Пожилые"],
                                                                          ["Молодёжь"])
    assert (by_key["is_free"].before, by_key["is_free"].after) == ("да", "нет")
    assert by_key["okved"].label.endswith("ОКВЭД")
    assert [f.key for f in diff.unchanged] == ["name"]
    reordered = diff_snapshots("organization", {"activities": ["a", "b"]},
                               {"activities": ["b", "a"]})
    assert not reordered.changed
    assert not diff.is_new


def test_new_record_shows_everything_as_new(session, client, login):
    org = make_org(session, name="Новая НКО", publish=False, address="ул. Ленина, 1")
    submit(session, org)
    login.user = MODERATOR
    page = text(client.get(review_url("organizations", org)))
    assert "Запись ещё не публиковалась" in page
    assert "ул. Ленина, 1" in page and "<del>" not in page


# ---------------------------------------------------------------- approve


def test_approve_publishes_the_reviewed_revision_with_its_change_row(session, client, login,
                                                                     recorder):
    org = make_org(session, name="АНО «Доброе дело»", mission="<p>Старая миссия</p>")
    edit_draft(session, org, mission="<p>Новая миссия</p>")
    submit(session, org)
    before = changes(session)
    assert "Старая миссия" in text(client.get(f"/nko/organizations/{org.slug}"))

    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/approve",
                           data={"approve-reviewed_version": "2", "approve-comment": "Спасибо"})
    assert response.status_code == 302 and response.location.endswith("/nko/moderation/")
    session.expire_all()
    assert (org.status, org.live, org.live_version, org.mission) == (
        Status.PUBLISHED, True, 2, "<p>Новая миссия</p>")
    assert not org.has_unpublished_changes
    assert changes(session) == before + 1
    change = session.scalars(select(Change).order_by(Change.seq.desc())).first()
    assert (change.entity_uuid, change.op) == (org.uuid, "upsert")
    event = session.scalars(select(WorkflowEvent).order_by(WorkflowEvent.id.desc())).first()
    assert (event.action, event.user_id, event.comment, event.revision_number) == (
        "publish", "moderator-1", "Спасибо", 2)
    assert "Новая миссия" in text(client.get(f"/nko/organizations/{org.slug}"))
    # The hook ran after the commit and got the outbox row.
    assert recorder.calls == [("publish", org.name, change, Status.PUBLISHED)]
    assert "Опубликовано." in text(client.get("/nko/moderation/"))


def test_approve_refuses_a_revision_the_editor_changed_meanwhile(session, client, login,
                                                                  recorder):
    org = make_org(session, mission="<p>Опубликовано</p>")
    edit_draft(session, org, mission="<p>Версия, которую смотрит модератор</p>")
    submit(session, org)
    login.user = MODERATOR
    page = text(client.get(review_url("organizations", org)))
    assert 'value="2"' in page
    edit_draft(session, org, mission="<p>Правка после отправки</p>")  # still submitted
    before = changes(session)

    response = client.post(review_url("organizations", org) + "/approve",
                           data={"approve-reviewed_version": "2"})
    assert response.status_code == 409
    assert "редактор изменил её (версия 2 → 3)" in text(response)
    assert "Правка после отправки" in text(response)  # the new diff, to review again
    assert 'value="3"' in text(response)
    session.expire_all()
    assert org.live_version == 1 and org.mission == "<p>Опубликовано</p>"
    assert changes(session) == before and recorder.calls == []
    # Having looked again, the moderator approves version 3.
    response = client.post(review_url("organizations", org) + "/approve",
                           data={"approve-reviewed_version": "3"})
    assert response.status_code == 302
    session.expire_all()
    assert org.mission == "<p>Правка после отправки</p>"


def test_review_tells_when_the_submission_changed_after_submitting(session, client, login):
    org = make_org(session)
    edit_draft(session, org, address="ул. Кирова, 5")
    submit(session, org)
    edit_draft(session, org, address="ул. Кирова, 7")
    login.user = MODERATOR
    page = text(client.get(review_url("organizations", org)))
    assert "изменил запись после отправки" in page


def test_approve_of_a_record_not_awaiting_review_is_refused(session, client, login):
    org = make_org(session)
    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/approve",
                           data={"approve-reviewed_version": str(org.version)})
    assert response.status_code == 409
    assert "уже не ожидает проверки" in text(response)


def test_approving_a_service_of_a_draft_organization_publishes_nothing_public(
        session, client, login):
    org = make_org(session, publish=False)
    service = make_service(session, org, publish=False)
    submit(session, service)
    before = changes(session)
    login.user = MODERATOR
    page = text(client.get(review_url("services", service)))
    assert "Организация пока не опубликована" in page
    client.post(review_url("services", service) + "/approve",
                data={"approve-reviewed_version": str(service.version)})
    session.expire_all()
    assert service.live and changes(session) == before  # not public: nothing in the feed


def test_approving_an_organization_publishes_its_pending_documents(session, client, login):
    org = make_org(session, publish=False)
    doc = Document(organization_id=org.id, kind="charter", title="Устав", year=2023,
                   original_filename="устав.pdf", stored_name="a" * 32 + ".pdf", size=1000)
    session.add(doc)
    session.commit()
    submit(session, org)
    login.user = MODERATOR
    assert "будут опубликованы вместе с организацией" in text(
        client.get(review_url("organizations", org)))
    client.post(review_url("organizations", org) + "/approve",
                data={"approve-reviewed_version": str(org.version)})
    session.expire_all()
    assert org.live and doc.live


# ---------------------------------------------------------------- return


def test_return_needs_a_comment_in_russian(session, client, login, recorder):
    org = make_org(session, publish=False)
    submit(session, org)
    login.user = MODERATOR
    for blank in ("", "   "):
        response = client.post(review_url("organizations", org) + "/return",
                               data={"return-reviewed_version": "1", "return-comment": blank})
        assert response.status_code == 400
        assert "Напишите, что нужно исправить." in text(response)
        assert 'aria-invalid="true"' in text(response)
    session.expire_all()
    assert org.status == Status.SUBMITTED and recorder.calls == []

    response = client.post(review_url("organizations", org) + "/return",
                           data={"return-reviewed_version": "1",
                                 "return-comment": "Укажите ОГРН."})
    assert response.status_code == 302
    session.expire_all()
    assert org.status == Status.RETURNED and not org.live
    assert recorder.calls == [("return", org.name, "Укажите ОГРН.", Status.RETURNED)]
    page = text(client.get(review_url("organizations", org)))
    assert "Возвращено на доработку" in page and "Укажите ОГРН." in page


def test_return_of_a_changed_submission_is_refused_too(session, client, login):
    org = make_org(session)
    edit_draft(session, org, address="ул. Мира, 1")
    submit(session, org)
    edit_draft(session, org, address="ул. Мира, 2")
    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/return",
                           data={"return-reviewed_version": "2", "return-comment": "Нет"})
    assert response.status_code == 409
    session.expire_all()
    assert org.status == Status.SUBMITTED


# ---------------------------------------------------------------- unpublish, archive


def test_unpublish_needs_a_reason_and_writes_tombstones(session, client, login, recorder):
    org = make_org(session)
    service = make_service(session, org)
    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/unpublish",
                           data={"unpublish-comment": ""})
    assert response.status_code == 400
    assert "Укажите причину снятия с публикации." in text(response)
    before = changes(session)

    response = client.post(review_url("organizations", org) + "/unpublish",
                           data={"unpublish-comment": "Организация ликвидирована"})
    assert response.status_code == 302
    session.expire_all()
    assert (org.status, org.live) == (Status.UNPUBLISHED, False)
    tombstones = session.scalars(select(Change).where(Change.seq > 0)
                                 .order_by(Change.seq.desc()).limit(2)).all()
    assert changes(session) == before + 2
    assert {(c.entity_uuid, c.op) for c in tombstones} == {(org.uuid, "delete"),
                                                           (service.uuid, "delete")}
    assert client.get(f"/nko/organizations/{org.slug}").status_code == 404
    assert recorder.calls[0][0] == "unpublish" and recorder.calls[0][3] == Status.UNPUBLISHED
    page = text(client.get(review_url("organizations", org)))
    assert "Организация ликвидирована" in page and "Снято с публикации" in page
    assert "Снять с публикации</button>" not in page  # nothing left to unpublish


def test_archive_a_project_with_a_reason(session, client, login):
    org = make_org(session)
    project = make_project(session, org, name="Завершённый проект")
    login.user = MODERATOR
    response = client.post(review_url("projects", project) + "/archive",
                           data={"archive-comment": "Проект завершён в 2021 году"})
    assert response.status_code == 302
    session.expire_all()
    assert (project.status, project.live) == (Status.ARCHIVED, False)
    page = text(client.get(review_url("projects", project)))
    assert "Перенести в архив</button>" not in page and "Проект завершён в 2021 году" in page


def test_unpublish_of_an_unpublished_record_is_refused(session, client, login):
    org = make_org(session, publish=False)
    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/unpublish",
                           data={"unpublish-comment": "Причина"})
    assert response.status_code == 409 and "снимать с публикации нечего" in text(response)


# ---------------------------------------------------------------- audit trail


def test_every_transition_is_in_the_history_with_who_and_comment(session, client, login):
    org = make_org(session, publish=False)
    submit(session, org, author="editor-7")
    login.user = MODERATOR
    client.post(review_url("organizations", org) + "/return",
                data={"return-reviewed_version": "1", "return-comment": "Добавьте адрес"})
    edit_draft(session, org, author="editor-7", address="ул. Садовая, 3")
    submit(session, org, author="editor-7")
    client.post(review_url("organizations", org) + "/approve",
                data={"approve-reviewed_version": "2"})
    session.expire_all()
    events = moderation.history(session, org)
    assert [(e.action, e.user_id) for e in events] == [
        ("publish", "moderator-1"), ("submit", "editor-7"), ("return", "moderator-1"),
        ("submit", "editor-7")]
    assert events[2].comment == "Добавьте адрес"
    page = text(client.get(review_url("organizations", org)))
    assert page.count("<li>") >= 4 and "editor-7" in page and "Добавьте адрес" in page


def test_unknown_kind_id_and_action_are_404(session, client, login):
    org = make_org(session)
    login.user = MODERATOR
    assert client.get(f"/nko/moderation/widgets/{org.uuid}").status_code == 404
    assert client.get("/nko/moderation/organizations/not-a-uuid").status_code == 404
    assert client.post(review_url("organizations", org) + "/delete").status_code == 404
    assert client.get(review_url("organizations", org) + "/approve").status_code in (404, 405)


def test_organization_list_filters_by_status(session, client, login):
    make_org(session, name="Опубликованная НКО")
    make_org(session, name="Черновая НКО", publish=False)
    login.user = MODERATOR
    page = text(client.get("/nko/moderation/organizations/?status=draft"))
    assert "Черновая НКО" in page and "Опубликованная НКО" not in page
    page = text(client.get("/nko/moderation/organizations/"))
    assert "Черновая НКО" in page and "Опубликованная НКО" in page


class ExtraFields:
    @hookimpl
    def nko_extra_fields(self, entity):
        if entity == "organization":
            return [{"name": "okved", "label_ru": "Основной ОКВЭД"},
                    {"name": "history", "label_ru": "История", "type": "rich_text"}]
        return []


def test_plugin_fields_are_reviewed_under_their_labels(app, session, client, login):
    pm = app.extensions["nko_openness"].pm
    plugin = ExtraFields()
    pm.register(plugin)
    try:
        org = make_org(session, extra={"okved": "88.99", "history": "<p>Основана в 2001</p>"})
        edit_draft(session, org, extra={"okved": "94.99",
                                        "history": "<p>Основана в <em>2001</em> году</p>"})
        submit(session, org)
        login.user = MODERATOR
        page = text(client.get(review_url("organizations", org)))
    finally:
        pm.unregister(plugin)
    assert "Дополнительные сведения: Основной ОКВЭД" in page
    assert re.search(r"<del>.*88\.99</del>", page) and re.search(r"<ins>.*94\.99</ins>", page)
    assert "2001<ins> году</ins>" in page and "&lt;em&gt;" not in page
