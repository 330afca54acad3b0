"""The NKO cabinet: an editor's organizations, their disclosure forms, preview and submission."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nko_openness.cabinet.forms import (
    FORMS,
    RICH_TEXT_HINT,
    ConfirmForm,
    DocumentForm,
    NewOrganizationForm,
    ProjectForm,
    apply_errors,
    error_list,
    field_attrs,
    form_values,
    set_category_choices,
)
from nko_openness.catalog import queries as catalog
from nko_openness.core.db import db_session
from nko_openness.core.i18n import category_name
from nko_openness.core.i18n import gettext as _
from nko_openness.fields.forms import (
    extend_form,
    extra_fields_of,
    extra_from_form,
    form_data_from_extra,
)
from nko_openness.models import Organization, Project, Service
from nko_openness.publishing import disclosure, overview, preview
from nko_openness.publishing import documents as document_service
from nko_openness.publishing.diff import diff_snapshots
from nko_openness.publishing.permissions import can, current_user, member_organization_ids, user_id
from nko_openness.publishing.vocabulary import categories_by_slug
from nko_openness.publishing.workflow import StaleRevision, commit_and_announce, entity_type
from nko_openness.web.access import (
    document_response,
    expected_version,
    login_required,
    organization_for,
    parse_public_id,
)
from nko_openness.web.rendering import common_context, render_page

bp = Blueprint("nko_cabinet", __name__, template_folder="../templates")
MODELS = {"services": Service, "projects": Project}
KINDS = {Organization: "organization", Service: "service", Project: "project"}


@bp.context_processor
def _inject():
    user = current_user()
    return {**common_context(), "nko_user": user,
            "nko_can": lambda action, obj=None: can(user, action, obj),
            "form_errors": error_list, "field_attrs": field_attrs,
            "rich_text_hint": RICH_TEXT_HINT,
            "max_document_mb": current_app.config["NKO_MAX_DOCUMENT_SIZE"] // (1024 * 1024)}


@bp.after_request
def _no_store(response):
    # Drafts are private: no shared cache may keep them.
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def openness_report(session, org):
    """The disclosure checklist, when the openness service is installed alongside."""
    try:
        from nko_openness.publishing import openness
    except ImportError:  # pragma: no cover - the checklist arrives separately
        return None
    return openness.for_cabinet(session, org)


def _dashboard(org):
    return url_for("nko_cabinet.show_organization", slug=org.slug)


# -- lists ----------------------------------------------------------------------------------

@bp.get("/")
def index():
    user = login_required()
    if not can(user, "cabinet"):
        abort(403)
    session = db_session()
    query = select(Organization).order_by(Organization.sort_name)
    if not (can(user, "moderate") or can(user, "admin")):
        query = query.where(Organization.id.in_(member_organization_ids(user) or {-1}))
    states = [overview.overview(session, org, history_limit=0).organization
              for org in session.scalars(query)]
    return render_page("nko_openness/cabinet/index.html", "cabinet", None, states=states,
                       can_create=can(user, "admin"))


@bp.get("/<slug>/")
def show_organization(slug):
    user, org = organization_for(slug)
    return _render_dashboard(user, org)


def _render_dashboard(user, org, status=200):
    session = db_session()
    summary = overview.overview(session, org)
    pending = document_service.pending_documents(session, org)
    submittable = [s for s in summary.records
                   if disclosure.is_submittable(s.record, len(pending))
                   and can(user, "submit", s.record)]
    return render_page(
        "nko_openness/cabinet/organization.html", "cabinet", None, org=org, overview=summary,
        pending_documents=pending, submittable=submittable, submit_form=ConfirmForm(),
        history_labels=overview.HISTORY_LABELS, openness=openness_report(session, org),
        can_edit=can(user, "edit", org),
    ), status


# -- editing --------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
def new_organization():
    user = login_required()
    if not can(user, "admin"):
        abort(403)
    session = db_session()
    form = extend_form(NewOrganizationForm, current_app, "organization")()
    set_category_choices(form, catalog.list_categories(session))
    if request.method == "POST" and _form_is_valid(form):
        values = {**form.data, "extra": extra_from_form(form, current_app, "organization")}
        try:
            org = disclosure.create_organization(session, current_app, values,
                                                 form.slug.data, user_id(user))
            session.commit()
            flash(_("Организация создана как черновик."))
            return redirect(_dashboard(org))
        except disclosure.DisclosureInvalid as exc:
            session.rollback()
            apply_errors(form, exc.errors)
    status = 422 if request.method == "POST" else 200
    return render_page("nko_openness/cabinet/profile.html", "cabinet", None, form=form,
                       org=None, record=None, kind="organization",
                       extra_fields=extra_fields_of(form)), status


@bp.route("/<slug>/profile", methods=["GET", "POST"])
def edit_profile(slug):
    user, org = organization_for(slug, "edit")
    return _edit(user, org, org)


@bp.route("/<slug>/<any(services, projects):kind>/new", methods=["GET", "POST"])
def new_record(slug, kind):
    user, org = organization_for(slug, "edit")
    return _edit(user, org, None, MODELS[kind])


@bp.route("/<slug>/<any(services, projects):kind>/<public_id>", methods=["GET", "POST"])
def edit_record(slug, kind, public_id):
    user, org = organization_for(slug)
    record = disclosure.find_child(db_session(), org, MODELS[kind], parse_public_id(public_id))
    if record is None:
        abort(404)
    if request.method == "POST" and not can(user, "edit", record):
        abort(403)
    return _edit(user, org, record, read_only=not can(user, "edit", record))


def _form_is_valid(form) -> bool:
    valid = form.validate()
    if form.meta.csrf and form.csrf_token.errors:
        abort(400, description=_("Форма устарела или отправлена не с этого сайта. "
                                 "Откройте её заново и повторите."))
    return valid


def _edit(user, org, record, model=None, read_only=False):
    session = db_session()
    model = model or type(record)
    kind = KINDS[model]
    form_class = extend_form(FORMS[kind], current_app, kind)
    if request.method == "GET":
        data = disclosure.draft_data(session, record) if record is not None else {}
        form = form_class(data={**form_values(data, disclosure.html_for_editing),
                                **form_data_from_extra(data.get("extra"), current_app, kind)})
        form.version.data = str(record.version) if record is not None else "0"
    else:
        form = form_class()
    set_category_choices(form, catalog.list_categories(session))
    context = {"form": form, "org": org, "record": record, "kind": kind,
               "read_only": read_only, "extra_fields": extra_fields_of(form)}
    if request.method == "GET":
        return _render_form(model, context)
    if isinstance(form, ProjectForm) and (form.add_result.data or form.add_funding.data):
        # Without scripts: the row is added on the server and the form comes back as typed.
        (form.results if form.add_result.data else form.fundings).append_entry()
        return _render_form(model, context)
    if not _form_is_valid(form):
        return _render_form(model, context, 422)
    values = {**form.data, "extra": extra_from_form(form, current_app, kind)}
    try:
        if record is None:
            record = disclosure.create_record(session, current_app, org, model, values,
                                              user_id(user))
        else:
            record = disclosure.lock(session, record)
            disclosure.save_draft(session, current_app, record, values, user_id(user),
                                  expected_version(form.version.data))
        session.commit()
    except disclosure.DisclosureInvalid as exc:
        session.rollback()
        context["unplaced"] = apply_errors(form, exc.errors)
        return _render_form(model, context, 422)
    except (StaleRevision, IntegrityError):
        session.rollback()
        return _conflict(record, form, context)
    flash(_("Черновик сохранён. Когда всё будет готово, отправьте его на проверку."))
    return redirect(_dashboard(org))


def _render_form(model, context, status=200):
    template = {Organization: "profile", Service: "service", Project: "project"}[model]
    return render_page(f"nko_openness/cabinet/{template}.html", "cabinet", None,
                       **context), status


def _conflict(record, form, context):
    """Someone saved first: show both versions; the editor's text is kept in the form."""
    session = db_session()
    session.refresh(record)
    saved = disclosure.draft_data(session, record)
    mine = disclosure.proposed_data(session, current_app, record, form.data)
    names = {slug: category_name(c) for slug, c in categories_by_slug(session).items()}
    comparison = diff_snapshots(entity_type(record), saved, mine, names)
    latest = disclosure.latest_revision(session, record)
    # Saving from this page overwrites the other version knowingly, not silently.
    form.version.data = str(record.version)
    return render_page("nko_openness/cabinet/conflict.html", "cabinet", None,
                       comparison=comparison, latest=latest, **context), 409


# -- preview and submission ------------------------------------------------------------------

@bp.get("/<slug>/preview")
def preview_organization(slug):
    _user, org = organization_for(slug)
    session = db_session()
    page = preview.organization_page(session, org)
    return _render_preview("nko_openness/organization.html", "cabinet_preview", page["org"],
                           org, **page)


@bp.get("/<slug>/<any(services, projects):kind>/<public_id>/preview")
def preview_record(slug, kind, public_id):
    _user, org = organization_for(slug)
    session = db_session()
    record = disclosure.find_child(session, org, MODELS[kind], parse_public_id(public_id))
    if record is None:
        abort(404)
    shown = preview.record_page(session, record)
    name = "service" if kind == "services" else "project"
    return _render_preview(f"nko_openness/{name}.html", "cabinet_preview", shown, org,
                           **{name: shown})


def _render_preview(template, page_name, obj, owner, **context):
    return render_page(
        "nko_openness/cabinet/preview.html", page_name, obj, preview_of=template,
        back_url=_dashboard(owner),
        nko_document_url=lambda d: url_for("nko_cabinet.download_document", slug=owner.slug,
                                           public_id=d.uuid),
        **context,
    )


@bp.post("/<slug>/submit")
def submit(slug):
    user, org = organization_for(slug)
    if not _form_is_valid(ConfirmForm()):
        abort(400)
    session = db_session()
    pending = len(document_service.pending_documents(session, org))
    items = []
    for value in request.form.getlist("item"):
        kind, _sep, rest = value.partition(":")
        public_id, _sep, version = rest.partition(":")
        model = {"organization": Organization, "service": Service, "project": Project}.get(kind)
        record = org if model is Organization and str(org.uuid) == public_id else (
            disclosure.find_child(session, org, model, parse_public_id(public_id))
            if model in (Service, Project) else None)
        if record is None:
            abort(404)
        if not can(user, "submit", record):
            abort(403)
        if disclosure.is_submittable(record, pending):
            items.append((disclosure.lock(session, record), expected_version(version)))
    if not items:
        flash(_("Отметьте, что отправить на проверку: новых изменений в отмеченном нет."),
              "error")
        return redirect(_dashboard(org))
    try:
        outcomes = disclosure.submit(session, items, user_id(user))
        commit_and_announce(session, current_app, *outcomes, user=user)
    except StaleRevision:
        session.rollback()
        flash(_("Пока вы смотрели эту страницу, сведения изменились. Проверьте их и "
                "отправьте снова."), "error")
        return _render_dashboard(user, org, 409)
    flash(_("Отправлено на проверку модератору. Результат и комментарий появятся здесь."))
    return redirect(_dashboard(org))


# -- documents ------------------------------------------------------------------------------

@bp.route("/<slug>/documents", methods=["GET", "POST"])
def documents(slug):
    user, org = organization_for(slug)
    session = db_session()
    form = DocumentForm()
    status = 200
    if request.method == "POST":
        if not can(user, "edit", org):
            abort(403)
        if _form_is_valid(form) and _store(user, org, form):
            flash(_("Документ загружен. Он появится на сайте после проверки модератором."))
            return redirect(url_for("nko_cabinet.documents", slug=org.slug))
        status = 422
    return render_page("nko_openness/cabinet/documents.html", "cabinet", None, org=org,
                       form=form, documents=document_service.organization_documents(session, org),
                       delete_form=ConfirmForm(), can_edit=can(user, "edit", org)), status


def _store(user, org, form) -> bool:
    session = db_session()
    year = (form.year.data or "").strip()
    upload = document_service.Upload(
        stream=form.file.data.stream, filename=form.file.data.filename or "",
        title=form.title.data or "", kind=form.kind.data,
        year=int(year) if year.isdigit() else None,
    )
    errors = document_service.validate_metadata(upload)
    if year and not year.isdigit():
        errors["year"] = _("Укажите год четырьмя цифрами.")
    if errors:
        apply_errors(form, errors)
        return False
    try:
        document = document_service.store_document(session, current_app, org, upload,
                                                   user_id(user))
    except document_service.DocumentRejected as exc:
        session.rollback()
        form.file.errors = [str(exc)]
        return False
    try:
        session.commit()
    except Exception:
        session.rollback()
        document_service.remove_file(current_app, document)
        raise
    return True


@bp.get("/<slug>/documents/<public_id>")
def download_document(slug, public_id):
    _user, org = organization_for(slug)
    document = document_service.get_document(db_session(), org, parse_public_id(public_id))
    if document is None:
        abort(404)
    return document_response(document, public=False)


@bp.post("/<slug>/documents/<public_id>/delete")
def delete_document(slug, public_id):
    _user, org = organization_for(slug, "edit")
    if not _form_is_valid(ConfirmForm()):
        abort(400)
    session = db_session()
    document = document_service.get_document(session, org, parse_public_id(public_id))
    if document is None:
        abort(404)
    document_service.delete_document(session, document)
    session.commit()
    document_service.remove_file(current_app, document)
    flash(_("Документ удалён."))
    return redirect(url_for("nko_cabinet.documents", slug=org.slug))


# -- errors ---------------------------------------------------------------------------------

@bp.errorhandler(400)
@bp.errorhandler(401)
@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(413)
def _client_error(error):
    return render_page("nko_openness/cabinet/error.html", "cabinet", None, status=error.code,
                       message=getattr(error, "description", None)), error.code
