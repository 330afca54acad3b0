"""Documents: only clean PDFs are kept, under random names, and go out as attachments."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import quote

import pdf_support as pdfs
import pytest
from cabinet_support import as_user, give_orgs
from factories import make_org
from sqlalchemy import select

from nko_openness.models import Document
from nko_openness.publishing import documents
from nko_openness.publishing.documents import DocumentRejected, check_pdf

MAX_SIZE = 20_000
CABINET = "/nko/cabinet"


@pytest.fixture
def app_config():
    from cabinet_support import HeaderUsers

    return {"NKO_PLUGINS": [HeaderUsers()], "NKO_MAX_DOCUMENT_SIZE": MAX_SIZE}


@pytest.fixture
def org(session):
    org = make_org(session, name="НКО с документами", slug="docs-org")
    give_orgs(session, org, make_org(session, publish=False))
    return org


@pytest.fixture
def editor(client, org):
    return as_user(client, "editor_a")


def upload(client, data: bytes, filename="Годовой отчёт 2023.pdf", **fields):
    form = {"title": "Годовой отчёт за 2023 год", "kind": "annual_report", "year": "2023",
            "file": (io.BytesIO(data), filename), **fields}
    return client.post(f"{CABINET}/docs-org/documents", data=form,
                       content_type="multipart/form-data")


def stored_files(app) -> list[str]:
    folder = app.config["NKO_UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# -- the checks themselves ------------------------------------------------------------------

@pytest.mark.parametrize("make, reason", [
    (pdfs.javascript_open_action_pdf, "действие при открытии"),
    (pdfs.launch_action_pdf, "действие при открытии"),
    (pdfs.page_javascript_pdf, "сценарии"),
    (pdfs.attachment_pdf, "вложенные файлы"),
    (pdfs.encrypted_pdf, "зашифрован"),
    (pdfs.zero_page_pdf, "нет ни одной страницы"),
])
def test_hostile_pdfs_are_refused(make, reason):
    with pytest.raises(DocumentRejected, match=reason):
        check_pdf(make(), MAX_SIZE, 5)


def test_clean_pdfs_pass_including_an_open_at_page_destination():
    check_pdf(pdfs.clean_pdf(pages=3), MAX_SIZE, 5)
    check_pdf(pdfs.destination_open_action_pdf(), MAX_SIZE, 5)


@pytest.mark.parametrize("data, reason", [
    (b"", "пустой"),
    (b"<html><script>alert(1)</script></html>", "не PDF"),
    (b"MZ\x90\x00 an executable", "не PDF"),
    (b"%PDF-1.7\n%garbage that never parses", "повреждён"),
])
def test_non_pdfs_are_refused(data, reason):
    with pytest.raises(DocumentRejected, match=reason):
        check_pdf(data, MAX_SIZE, 5)


def test_oversize_is_refused_before_parsing():
    with pytest.raises(DocumentRejected, match="не больше"):
        check_pdf(pdfs.oversize_pdf(MAX_SIZE), MAX_SIZE, 5)
    with pytest.raises(DocumentRejected, match="не больше"):
        documents.read_limited(io.BytesIO(b"%PDF-" + b"0" * MAX_SIZE), MAX_SIZE)


def _slow_inspection(data):
    time.sleep(30)


def test_a_file_that_takes_too_long_is_refused(monkeypatch):
    monkeypatch.setattr(documents, "inspect_pdf", _slow_inspection)
    started = time.monotonic()
    with pytest.raises(DocumentRejected, match="за отведённое время"):
        check_pdf(pdfs.clean_pdf(), MAX_SIZE, 0.5)
    assert time.monotonic() - started < 10


def test_file_names_keep_cyrillic_and_lose_paths():
    assert documents.clean_filename("C:\\fakepath\\Отчёт 2023.pdf") == "Отчёт 2023.pdf"
    assert documents.clean_filename("../../etc/passwd") == "passwd.pdf"
    assert documents.clean_filename('Устав "новый"\r\n.PDF') == "Устав новый.pdf"
    assert documents.clean_filename("") == "document.pdf"


def test_content_disposition_is_rfc_5987():
    header = documents.content_disposition("Годовой отчёт 2023.pdf")
    assert header == ("attachment; filename=\"2023.pdf\"; filename*=UTF-8''"
                      + quote("Годовой отчёт 2023.pdf", safe=""))
    assert documents.content_disposition("Устав.pdf").startswith(
        'attachment; filename="document.pdf"; ')


# -- through the cabinet --------------------------------------------------------------------

def test_upload_stores_a_random_name_outside_static_and_downloads_as_attachment(
        app, editor, session, org, client):
    data = pdfs.clean_pdf()
    response = upload(editor, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    document = session.scalar(select(Document))
    assert document.original_filename == "Годовой отчёт 2023.pdf"
    assert document.stored_name != document.original_filename
    assert len(document.stored_name) == 36 and document.stored_name.endswith(".pdf")
    assert stored_files(app) == [document.stored_name]
    static = os.path.join(os.path.dirname(documents.__file__), "..", "static")
    assert not os.path.abspath(app.config["NKO_UPLOAD_FOLDER"]).startswith(
        os.path.abspath(static))
    assert not document.live and document.uploaded_by == "editor-a"

    got = editor.get(f"{CABINET}/docs-org/documents/{document.uuid}")
    assert got.status_code == 200 and got.data == data
    assert got.mimetype == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == documents.content_disposition(
        "Годовой отчёт 2023.pdf")
    assert "filename*=UTF-8''" in got.headers["Content-Disposition"]
    assert "no-store" in got.headers["Cache-Control"]

    # Not public until the organization is approved with it.
    public_url = f"/nko/documents/{document.uuid}"
    hidden = as_user(client, "anonymous").get(public_url)
    assert hidden.status_code == 404 and "Страница не найдена" in hidden.get_data(as_text=True)
    documents.publish_pending(session, org)
    session.commit()
    public = client.get(public_url)
    assert public.status_code == 200 and public.data == data
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["Content-Disposition"].startswith("attachment;")
    assert public_url in client.get("/nko/organizations/docs-org").get_data(as_text=True)


@pytest.mark.parametrize("make, filename, reason", [
    (pdfs.javascript_open_action_pdf, "отчёт.pdf", "действие при открытии"),
    (pdfs.encrypted_pdf, "отчёт.pdf", "зашифрован"),
    (lambda: b"<html><body>not a pdf</body></html>", "отчёт.pdf", "не PDF"),
    (lambda: pdfs.oversize_pdf(MAX_SIZE), "большой.pdf", "не больше"),
])
def test_rejected_uploads_leave_nothing_behind(app, editor, session, make, filename, reason):
    response = upload(editor, make(), filename=filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page
    assert 'id="file-error"' in page and 'aria-describedby="file-hint file-error"' in page
    assert session.scalar(select(Document)) is None
    assert stored_files(app) == []


def test_metadata_errors_are_russian(editor, session):
    response = upload(editor, pdfs.clean_pdf(), title="", year="двадцать")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Укажите название документа." in page
    assert session.scalar(select(Document)) is None


def test_delete_removes_the_row_and_the_file(app, editor, session):
    upload(editor, pdfs.clean_pdf())
    document = session.scalar(select(Document))
    response = editor.post(f"{CABINET}/docs-org/documents/{document.uuid}/delete")
    assert response.status_code == 302
    assert session.scalar(select(Document)) is None
    assert stored_files(app) == []


def test_other_editors_and_visitors_cannot_fetch_a_draft_document(client, editor, session):
    upload(editor, pdfs.clean_pdf())
    document = session.scalar(select(Document))
    url = f"{CABINET}/docs-org/documents/{document.uuid}"
    assert as_user(client, "editor_b").get(url).status_code == 404
    assert as_user(client, "anonymous").get(url).status_code == 401
    assert as_user(client, "moderator").get(url).status_code == 200
