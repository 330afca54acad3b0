"""E-mail notifications for the example site, written as RFC 5322 files to ``instance/outbox/``.

A host-site plugin (enable it with ``NKO_PLUGINS = ["examples.host_site.notifications"]``):
the module calls these hooks after each commit; a real site would hand the same messages
to its mail server instead of a folder. Settings, all optional:

``NOTIFY_OUTBOX``            folder for the ``.eml`` files [``<instance>/outbox``]
``NOTIFY_FROM``              sender [``Администрация города Белогорск <noreply@belogorsk.example>``]
``NOTIFY_MODERATOR_EMAILS``  who hears about new submissions [``[]``]
``NOTIFY_USER_EMAIL``        ``callable(user_id) -> address or None``; by default the
                             Flask-Login ``user_loader`` is asked and its user's ``email`` used
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from flask import Flask, has_request_context, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from nko_openness import hookimpl
from nko_openness.models import Membership, Organization, Project, Service, WorkflowEvent
from nko_openness.publishing.workflow import entity_type

log = logging.getLogger(__name__)

DEFAULT_FROM = "Администрация города Белогорск <noreply@belogorsk.example>"
KIND_NAMES = {Organization: "Организация", Service: "Услуга", Project: "Проект"}
URL_KINDS = {Organization: "organizations", Service: "services", Project: "projects"}
SIGNATURE = ("\n\n-- \nРаздел «Некоммерческие организации» сайта администрации "
             "города Белогорск.\nЭто письмо отправлено автоматически; отвечать на него не нужно.")


# ---------------------------------------------------------------- the outbox


def outbox_folder(app: Flask) -> str:
    folder = app.config.get("NOTIFY_OUTBOX") or os.path.join(app.instance_path, "outbox")
    os.makedirs(folder, exist_ok=True)
    return folder


def _address(text: str) -> Address:
    name, addr = parseaddr(text)
    username, _, domain = addr.partition("@")
    return Address(display_name=name, username=username, domain=domain)


def build_message(app: Flask, to: str, subject: str, body: str) -> EmailMessage:
    sender = _address(app.config.get("NOTIFY_FROM") or DEFAULT_FROM)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = _address(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(body + SIGNATURE)
    return message


def write_to_outbox(app: Flask, message: EmailMessage) -> str:
    """Store one message as ``<time>-<random>.eml``; readers never see a half-written file."""
    folder = outbox_folder(app)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = os.path.join(folder, f"{stamp}-{uuid.uuid4().hex[:8]}.eml")
    partial = path + ".part"
    with open(partial, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(partial, path)
    return path


def send(app: Flask, recipients: Iterable[str], subject: str, body: str) -> list[str]:
    """One message per recipient, so editors never see each other's addresses."""
    return [write_to_outbox(app, build_message(app, to, subject, body))
            for to in dict.fromkeys(r for r in recipients if r)]


# ---------------------------------------------------------------- who hears about it


def _email_of(app: Flask, user_id: str) -> str | None:
    lookup = app.config.get("NOTIFY_USER_EMAIL")
    if lookup is not None:
        return lookup(user_id)
    manager = getattr(app, "login_manager", None)
    loader = getattr(manager, "_user_callback", None)
    user = loader(user_id) if loader else None
    return getattr(user, "email", None)


def editor_addresses(app: Flask, org: Organization) -> list[str]:
    session = app.extensions["nko_openness"].db.session
    user_ids = session.scalars(
        select(Membership.user_id).where(Membership.organization_id == org.id)
        .order_by(Membership.id)
    )
    return [a for a in (_email_of(app, uid) for uid in user_ids) if a]


def moderator_addresses(app: Flask) -> list[str]:
    return list(app.config.get("NOTIFY_MODERATOR_EMAILS") or [])


def organization_of(record) -> Organization:
    return record if isinstance(record, Organization) else record.organization


# ---------------------------------------------------------------- links


def link(app: Flask, endpoint: str, **values) -> str | None:
    """An absolute link: from NKO_BASE_URL when set, else from the request; None if unknown."""
    config = app.extensions["nko_openness"].config
    try:
        # The URL map builds paths without a request (a CLI command may publish too).
        path = app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None
    base, prefix = config.get("NKO_BASE_URL"), config["NKO_URL_PREFIX"].rstrip("/")
    if base and path.startswith(prefix):
        return base.rstrip("/") + path[len(prefix):]
    if has_request_context():
        return url_for(endpoint, **values, _external=True)
    return path


def _title(record) -> str:
    kind = KIND_NAMES[type(record)]
    if isinstance(record, Organization):
        return f"{kind} «{record.name}»"
    return f"{kind} «{record.name}» ({record.organization.name})"


def _cabinet_link(app: Flask, record) -> str | None:
    return link(app, "nko_cabinet.show_organization", slug=organization_of(record).slug)


def _last_event(app: Flask, record) -> WorkflowEvent | None:
    session = app.extensions["nko_openness"].db.session
    return session.scalar(
        select(WorkflowEvent)
        .where(WorkflowEvent.entity_type == entity_type(record),
               WorkflowEvent.entity_uuid == record.uuid)
        .order_by(WorkflowEvent.id.desc()).limit(1)
    )


def _safely(fn):
    # The change is already committed: a mail problem is logged, never shown to the user.
    @functools.wraps(fn)  # pluggy reads the hook's argument names through __wrapped__
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("notifications: could not write the message (%s)", fn.__name__)
            return []
    return wrapper


# ---------------------------------------------------------------- the hooks


@hookimpl
@_safely
def nko_after_submit(app, record, user):
    url = link(app, "nko_moderation.show_record", kind=URL_KINDS[type(record)],
               public_id=record.uuid)
    body = (f"Редактор отправил на проверку: {_title(record)}.\n\n"
            f"Проверить изменения и принять решение: {url or 'раздел «Модерация»'}")
    return send(app, moderator_addresses(app), f"На проверку: {_title(record)}", body)


@hookimpl
@_safely
def nko_after_return(app, record, user, comment):
    url = _cabinet_link(app, record)
    body = (f"Модератор вернул на доработку: {_title(record)}.\n\n"
            f"Что нужно исправить:\n{comment}\n\n"
            f"Исправьте сведения и отправьте их снова: {url or 'личный кабинет НКО'}")
    return send(app, editor_addresses(app, organization_of(record)),
                f"Возвращено на доработку: {_title(record)}", body)


@hookimpl
@_safely
def nko_after_publish(app, record, change):
    if isinstance(record, Organization):
        url = link(app, "nko.show_organization", slug=record.slug)
    else:
        url = link(app, f"nko.show_{'service' if isinstance(record, Service) else 'project'}",
                   public_id=record.uuid)
    event = _last_event(app, record)
    note = f"\n\nКомментарий модератора:\n{event.comment}" if event and event.comment else ""
    body = f"Опубликовано на сайте: {_title(record)}.{note}\n\nСтраница: {url or '—'}"
    return send(app, editor_addresses(app, organization_of(record)),
                f"Опубликовано: {_title(record)}", body)


@hookimpl
@_safely
def nko_after_unpublish(app, record, change):
    event = _last_event(app, record)
    action = event.action if event else "unpublish"
    if action == "delete":
        return []  # the editors deleted it themselves
    what = "Перенесено в архив" if action == "archive" else "Снято с публикации"
    reason = f"\n\nПричина:\n{event.comment}" if event and event.comment else ""
    body = (f"{what}: {_title(record)}.{reason}\n\n"
            f"Личный кабинет: {_cabinet_link(app, record) or 'личный кабинет НКО'}")
    return send(app, editor_addresses(app, organization_of(record)),
                f"{what}: {_title(record)}", body)
