"""Uploaded documents: PDFs checked before they are kept, stored under random names, sent safely.

A document goes public with the next approval of its organization (``publish_pending``);
withdrawing one (``delete_document``) takes effect at once, as removing information is safe.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.core.i18n import N_
from nko_openness.core.i18n import gettext as _
from nko_openness.core.vocabularies import DOCUMENT_KINDS
from nko_openness.models import Document, Organization

PDF_MAGIC = b"%PDF-"
# Keys whose presence means the file can run code or carry other files.
FORBIDDEN_KEYS = frozenset({
    "/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
    "/XFA", "/AA",
})
# Action types (the /S of an action dictionary) that run code, open programs or send data.
FORBIDDEN_ACTIONS = frozenset({
    "/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/GoToE",
    "/Rendition",
})
# A walk over an adversarial file must end; real reports stay far below this.
MAX_OBJECTS = 200_000
_CHUNK = 64 * 1024


class DocumentRejected(ValueError):
    """The upload is not an acceptable PDF; the message is for the editor, in Russian."""


@dataclass
class Upload:
    """What the view hands over: the raw stream and the editor's metadata."""

    stream: object
    filename: str
    title: str
    kind: str = "other"
    year: int | None = None


def read_limited(stream, max_size: int) -> bytes:
    """Read the upload, refusing it as soon as it passes ``max_size`` bytes."""
    buffer = io.BytesIO()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        buffer.write(chunk)
        if buffer.tell() > max_size:
            raise DocumentRejected(_("Файл слишком большой: можно загрузить не больше "
                                     "%(size)s.", size=_megabytes(max_size)))
    return buffer.getvalue()


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    if value >= 1:
        return _("%(num)s МБ", num=round(value))
    return _("%(num)s КБ", num=max(1, size // 1024))


def inspect_pdf(data: bytes) -> str | None:
    """Parse ``data`` with pypdf; the reason to refuse it (a msgid), or None when it is clean.

    It may run in a forked child, so it returns untranslated text: check_pdf translates it.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return N_("Файл защищён паролем или зашифрован. Загрузите PDF без защиты.")
        if len(reader.pages) == 0:
            return N_("В PDF-файле нет ни одной страницы.")
        seen: set[tuple[int, int]] = set()
        stack = [reader.trailer]
        visited = 0
        while stack:
            node = stack.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                node = node.get_object()
            visited += 1
            if visited > MAX_OBJECTS:
                return N_("PDF-файл устроен слишком сложно для проверки.")
            if isinstance(node, DictionaryObject):
                reason = _dangerous(node)
                if reason:
                    return reason
                stack.extend(node.values())
            elif isinstance(node, ArrayObject):
                stack.extend(node)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            OSError, IndexError, AssertionError, NotImplementedError):
        return N_("Файл повреждён или не является PDF-документом.")
    return None


def _dangerous(node) -> str | None:
    keys = set(node.keys())
    if keys & FORBIDDEN_KEYS:
        if keys & {"/EmbeddedFile", "/EmbeddedFiles"}:
            return N_("PDF-файл содержит вложенные файлы. Сохраните документ без вложений.")
        return N_("PDF-файл содержит сценарии или автоматические действия. Сохраните его "
                  "заново, например через «Печать в PDF».")
    if str(node.get("/S", "")) in FORBIDDEN_ACTIONS:
        return N_("PDF-файл содержит сценарии или автоматические действия. Сохраните его "
                  "заново, например через «Печать в PDF».")
    open_action = node.get("/OpenAction")
    if open_action is not None:
        # A destination (an array: open at page N) is common and harmless; an action
        # dictionary of any kind is refused.
        target = open_action.get_object()
        if not isinstance(target, list):
            return N_("PDF-файл выполняет действие при открытии. Сохраните его заново, "
                      "например через «Печать в PDF».")
    return None


def _inspect_in_child(data: bytes, conn) -> None:
    try:
        conn.send(inspect_pdf(data))
    finally:
        conn.close()


def check_pdf(data: bytes, max_size: int, seconds: float) -> None:
    """Refuse anything but a clean, unencrypted PDF that parses within ``seconds``."""
    if not data:
        raise DocumentRejected(_("Файл пустой."))
    if len(data) > max_size:
        raise DocumentRejected(_("Файл слишком большой: можно загрузить не больше %(size)s.",
                                 size=_megabytes(max_size)))
    if not data.startswith(PDF_MAGIC):
        raise DocumentRejected(_("Можно загружать только документы PDF: этот файл не PDF."))
    reason = _inspect_with_budget(data, seconds)
    if reason:
        raise DocumentRejected(_(reason))


def _inspect_with_budget(data: bytes, seconds: float) -> str | None:
    # A hostile file can make a parser spin; a forked child is stopped when the budget ends,
    # where a thread would run on.
    if "fork" not in multiprocessing.get_all_start_methods():
        return inspect_pdf(data)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_inspect_in_child, args=(data, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            return N_("PDF-файл не удалось проверить за отведённое время. Сохраните его "
                      "заново или уменьшите размер.")
        return receiver.recv()
    except EOFError:
        return N_("Файл повреждён или не является PDF-документом.")
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|;]+")


def clean_filename(name: str | None) -> str:
    """The editor's file name without folders or control characters; Cyrillic is kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSAFE_NAME.sub(" ", name).split()).strip(" .")
    stem = (name[:-4] if name.lower().endswith(".pdf") else name).strip(" .")
    return (stem[:200] or "document") + ".pdf"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the real name per RFC 5987 / RFC 6266."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]+", "", ascii_name).strip(" .")
    if not ascii_name or ascii_name.lower() == "pdf" or ascii_name.startswith("."):
        ascii_name = "document.pdf"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def upload_folder(app: Flask) -> str:
    folder = app.extensions["nko_openness"].config["NKO_UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def document_path(app: Flask, document: Document) -> str:
    # stored_name is ours (hex + .pdf), never the editor's, so it cannot leave the folder.
    return os.path.join(upload_folder(app), document.stored_name)


def validate_metadata(upload: Upload) -> dict[str, str]:
    errors = {}
    if not (upload.title or "").strip():
        errors["title"] = _("Укажите название документа.")
    if upload.kind not in DOCUMENT_KINDS:
        errors["kind"] = _("Выберите вид документа из списка.")
    if upload.year is not None and not 1990 <= upload.year <= 2100:
        errors["year"] = _("Укажите год четырьмя цифрами.")
    return errors


def store_document(session: Session, app: Flask, org: Organization, upload: Upload,
                   user_id: str | None) -> Document:
    """Check and store the PDF, add its Document row (not live); the caller commits.

    If the commit fails, the caller removes the file with :func:`remove_file`.
    """
    config = app.extensions["nko_openness"].config
    data = read_limited(upload.stream, config["NKO_MAX_DOCUMENT_SIZE"])
    check_pdf(data, config["NKO_MAX_DOCUMENT_SIZE"], config["NKO_DOCUMENT_CHECK_SECONDS"])
    stored_name = secrets.token_hex(16) + ".pdf"
    path = os.path.join(upload_folder(app), stored_name)
    temporary = path + ".part"
    with open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    document = Document(
        organization_id=org.id, kind=upload.kind, title=upload.title.strip()[:500],
        year=upload.year, original_filename=clean_filename(upload.filename),
        stored_name=stored_name, size=len(data), content_type="application/pdf", live=False,
        uploaded_by=user_id,
    )
    session.add(document)
    session.flush()
    return document


def remove_file(app: Flask, document: Document) -> None:
    try:
        os.remove(document_path(app, document))
    except FileNotFoundError:
        pass


def delete_document(session: Session, document: Document) -> None:
    """Delete the row; the caller removes the file after the commit (:func:`remove_file`)."""
    session.delete(document)


def organization_documents(session: Session, org: Organization) -> list[Document]:
    return list(session.scalars(
        select(Document).where(Document.organization_id == org.id)
        .order_by(Document.year.desc(), Document.id)
    ))


def get_document(session: Session, org: Organization, public_id) -> Document | None:
    return session.scalar(
        select(Document).where(Document.organization_id == org.id, Document.uuid == public_id)
    )


def get_public_document(session: Session, public_id) -> Document | None:
    return session.scalar(
        select(Document).join(Organization, Document.organization_id == Organization.id)
        .where(Document.uuid == public_id, Document.live.is_(True),
               Organization.live.is_(True))
    )


def pending_documents(session: Session, org: Organization) -> list[Document]:
    """Documents uploaded since the organization was last approved (the moderator's diff)."""
    return list(session.scalars(
        select(Document).where(Document.organization_id == org.id, Document.live.is_(False))
        .order_by(Document.id)
    ))


def publish_pending(session: Session, org: Organization) -> list[Document]:
    """Make the organization's pending documents public; call it when approving ``org``."""
    documents = pending_documents(session, org)
    for document in documents:
        document.live = True
    return documents
