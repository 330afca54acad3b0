"""Moderation pages: the queue, the review of one submission, and the decisions (POST only)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from nko_openness.core.db import db_session
from nko_openness.core.i18n import gettext as _
from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.fields.specs import entity_of, field_specs
from nko_openness.models import Organization
from nko_openness.moderation import review as moderation
from nko_openness.publishing import openness
from nko_openness.publishing.permissions import can, current_user, user_id
from nko_openness.publishing.workflow import StaleRevision, commit_and_announce
from nko_openness.web.rendering import common_context, nko_state, render_page

bp = Blueprint("nko_moderation", __name__, template_folder="../templates")

COMMENT_MAX = 5000


class ApproveForm(FlaskForm):
    reviewed_version = HiddenField(validators=[InputRequired()])
    comment = TextAreaField(_l("Комментарий для редактора (необязательно)"),
                            validators=[Optional(), Length(max=COMMENT_MAX)])


class ReturnForm(FlaskForm):
    reviewed_version = HiddenField(validators=[InputRequired()])
    comment = TextAreaField(_l("Что нужно исправить"), validators=[
        DataRequired(_l("Напишите, что нужно исправить.")), Length(max=COMMENT_MAX)])


class UnpublishForm(FlaskForm):
    comment = TextAreaField(_l("Причина снятия с публикации"), validators=[
        DataRequired(_l("Укажите причину снятия с публикации.")), Length(max=COMMENT_MAX)])


class ArchiveForm(FlaskForm):
    comment = TextAreaField(_l("Причина переноса в архив"), validators=[
        DataRequired(_l("Укажите причину переноса в архив.")), Length(max=COMMENT_MAX)])


# action → (form, service call, success message)
DECISIONS = {
    "approve": (ApproveForm, moderation.approve_submission, _l("Опубликовано.")),
    "return": (ReturnForm, moderation.return_submission,
               _l("Возвращено на доработку; редакторы увидят ваш комментарий.")),
    "unpublish": (UnpublishForm, moderation.unpublish, _l("Снято с публикации.")),
    "archive": (ArchiveForm, moderation.archive, _l("Перенесено в архив.")),
}


@bp.context_processor
def _inject_common():
    return {**common_context(), "STATUS_LABELS": moderation.STATUS_LABELS,
            "ACTION_LABELS": moderation.ACTION_LABELS, "KIND_LABELS": moderation.KIND_LABELS,
            "nko_user_label": user_label}


def user_label(uid: str | None) -> str:
    """A person's name for the audit trail, when the host's Flask-Login loader knows it."""
    if not uid:
        return ""
    cache = g.setdefault("nko_user_labels", {})
    if uid not in cache:
        loader = getattr(getattr(current_app, "login_manager", None), "_user_callback", None)
        try:
            user = loader(uid) if loader else None
        except Exception:  # a host loader that fails must not break the review page
            user = None
        name = getattr(user, "name", None) or getattr(user, "username", None)
        cache[uid] = f"{name} ({uid})" if name else uid
    return cache[uid]


@bp.after_request
def _no_store(response):
    # Moderators see drafts: no shared cache may keep these pages.
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@bp.app_template_global("nko_openness_badge")
def openness_badge(org, services=(), projects=(), documents=()):
    """The public profile's openness report, or None when the host keeps the badge off.

    Registered app-wide by this blueprint so the public organization page can show it
    from the lists it already loaded (no extra queries).
    """
    if not nko_state().config["NKO_SHOW_OPENNESS_BADGE"]:
        return None
    return openness.from_public_page(org, services, projects, documents)


def _moderator():
    """The current user when they may moderate; the login page for visitors, else 403."""
    user = current_user()
    if user is None:
        # As the cabinet does: the host's login page, or 401 when the host has none.
        login_view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
        if login_view:
            abort(redirect(url_for(login_view, next=request.full_path.rstrip("?"))))
        abort(401)
    if not can(user, "moderate", None):
        abort(403)
    return user


@bp.get("/")
def show_queue():
    _moderator()
    queue = moderation.submission_queue(db_session())
    return render_page("nko_openness/moderation/queue.html", "moderation_queue", queue=queue)


@bp.get("/organizations/")
def list_organizations():
    _moderator()
    status = request.args.get("status") or None
    after = request.args.get("after", type=int)
    rows, next_after = moderation.list_organizations(db_session(), status, after)
    return render_page("nko_openness/moderation/organizations.html", "moderation_organizations",
                       organizations=rows, status=status, next_after=next_after)


@bp.get("/<kind>/<public_id>")
def show_record(kind, public_id):
    user = _moderator()
    record = moderation.get_record(db_session(), kind, public_id) or abort(404)
    return _render_review(user, record)


def _render_review(user, record, forms=None, error=None, status=200, reviewed_version=None):
    session = db_session()
    specs = field_specs(current_app, entity_of(record))
    review = moderation.review(session, record, {s.name: str(s.label) for s in specs},
                               frozenset(s.name for s in specs if s.type == "rich_text"))
    forms = forms or {}
    for action, (form_class, _call, _msg) in DECISIONS.items():
        if action not in forms:
            forms[action] = form_class(prefix=action, formdata=None)
        if "reviewed_version" in forms[action]:
            forms[action].reviewed_version.data = str(review.reviewed_version)
    extra = {}
    if isinstance(record, Organization):
        extra = moderation.children(session, record)
        extra["pending_documents"] = moderation.pending_documents(session, record)
        extra["openness"] = openness.for_cabinet(session, record)
    return render_page(
        "nko_openness/moderation/review.html", "moderation_review", None, review=review,
        record=record, kind=review.kind, forms=forms, error=error,
        may_decide=can(user, "moderate", record), stale_from=reviewed_version, **extra,
    ), status


@bp.post("/<kind>/<public_id>/<action>")
def decide(kind, public_id, action):
    if action not in DECISIONS:
        abort(404)
    user = _moderator()
    session = db_session()
    record = moderation.get_record(session, kind, public_id, for_update=True) or abort(404)
    form_class, call, done = DECISIONS[action]
    form = form_class(prefix=action)
    if not can(user, "moderate", record):
        session.rollback()
        return _render_review(user, record, {action: form}, status=403, error=_(
            "Вы не можете принимать решение по записи, которую сами редактировали или "
            "отправили на проверку: это сделает другой модератор."))
    if not form.validate_on_submit():
        session.rollback()
        return _render_review(user, record, {action: form}, status=400)
    args = [session, record, user_id(user)]
    if "reviewed_version" in form:
        try:
            args.append(int(form.reviewed_version.data))
        except ValueError:
            abort(400)
    try:
        outcome = call(*args, form.comment.data)
    except StaleRevision as exc:
        session.rollback()
        return _render_review(user, record, status=409, reviewed_version=exc.expected, error=_(
            "Пока вы проверяли запись, редактор изменил её (версия %(old)s → %(new)s). "
            "Решение не принято: просмотрите изменения ещё раз.",
            old=exc.expected, new=record.version))
    except moderation.ReasonRequired as exc:
        session.rollback()
        return _render_review(user, record, {action: form}, status=400, error=str(exc))
    except moderation.ModerationError as exc:
        session.rollback()
        return _render_review(user, record, status=409, error=str(exc))
    commit_and_announce(session, current_app._get_current_object(), outcome, user=user)
    flash(str(done), "success")
    if action in ("approve", "return"):
        return redirect(url_for(".show_queue"))
    return redirect(url_for(".show_record", kind=kind, public_id=record.uuid))


@bp.errorhandler(401)
@bp.errorhandler(403)
def _denied(error):
    return render_page("nko_openness/moderation/denied.html", "moderation_denied",
                       status=error.code), error.code

