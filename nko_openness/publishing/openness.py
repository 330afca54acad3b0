"""How completely an NKO discloses itself: a checklist score and what to fill next."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.core.vocabularies import FORMS_WITHOUT_LEGAL_ENTITY
from nko_openness.models import Document, Organization, Project, Revision, Service, Status
from nko_openness.publishing.diff import html_to_text

REPORT_KINDS = frozenset({"annual_report", "minjust_report"})
# "The last three years": the current year and the three before it.
RECENT_YEARS = 3


@dataclass
class Disclosure:
    """What one organization discloses, in the shape the checks read (no ORM needed)."""

    organization: dict[str, Any]
    services: int
    projects: list[dict[str, Any]]  # start_date, end_date, fundings
    documents: list[dict[str, Any]]  # kind, year
    today: date = field(default_factory=date.today)

    @property
    def has_legal_entity(self) -> bool:
        return self.organization.get("legal_form") not in FORMS_WITHOUT_LEGAL_ENTITY

    def recent_projects(self) -> list[dict[str, Any]]:
        cutoff = date(self.today.year - RECENT_YEARS, 1, 1)
        # A project without an end date is still running, however long ago it began.
        return [p for p in self.projects
                if (_as_date(p.get("end_date")) or self.today) >= cutoff]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: Any
    basis: Any  # where the requirement comes from
    hint: Any  # what to do, in the editor's words
    section: str  # cabinet section that fills it: profile, services, projects, documents
    check: Callable[[Disclosure], bool | None]  # None: does not apply to this organization


def _filled(value) -> bool:
    return bool(value and (str(value).strip() if not isinstance(value, list) else value))


def _legal_entity_only(check):
    return lambda d: check(d) if d.has_legal_entity else None


def _has_report(d: Disclosure) -> bool:
    if _filled(d.organization.get("minjust_reports_url")):
        return True
    oldest = d.today.year - RECENT_YEARS + 1
    return any(doc["kind"] in REPORT_KINDS and (doc.get("year") or d.today.year) >= oldest
               for doc in d.documents)


STANDARD = _l("Стандарт информационной открытости СО НКО")

CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("website", _l("Сайт или страница в интернете"), STANDARD,
                  _l("Укажите адрес сайта организации или её страницы в социальной сети."),
                  "profile",
                  lambda d: _filled(d.organization.get("website"))
                  or _filled(d.organization.get("social_links"))),
    ChecklistItem("charter", _l("Устав"), STANDARD,
                  _l("Загрузите устав организации в формате PDF."), "documents",
                  _legal_entity_only(lambda d: any(doc["kind"] == "charter"
                                                   for doc in d.documents))),
    ChecklistItem("contacts", _l("Телефон и электронная почта"), STANDARD,
                  _l("Укажите телефон и адрес электронной почты для обращений граждан."),
                  "profile",
                  lambda d: _filled(d.organization.get("phone"))
                  and _filled(d.organization.get("email"))),
    ChecklistItem("requisites", _l("ИНН и ОГРН"), STANDARD,
                  _l("Укажите ИНН и ОГРН организации."), "profile",
                  _legal_entity_only(lambda d: _filled(d.organization.get("inn"))
                                     and _filled(d.organization.get("ogrn")))),
    ChecklistItem("address", _l("Адрес"), STANDARD,
                  _l("Укажите адрес, по которому можно обратиться в организацию."), "profile",
                  lambda d: _filled(d.organization.get("address"))),
    ChecklistItem("mission", _l("Миссия и цели"), STANDARD,
                  _l("Опишите миссию организации: зачем она существует и кому помогает."),
                  "profile",
                  lambda d: _filled(html_to_text(d.organization.get("mission")))),
    ChecklistItem("activities", _l("Виды деятельности"), _l("7-ФЗ, ст. 31.1"),
                  _l("Отметьте виды деятельности организации."), "profile",
                  lambda d: _filled(d.organization.get("activities"))),
    ChecklistItem("categories", _l("Категории граждан"),
                  _l("Резолюция круглого стола 28.09.2023"),
                  _l("Отметьте категории граждан, с которыми работает организация."),
                  "profile", lambda d: _filled(d.organization.get("categories"))),
    ChecklistItem("services", _l("Услуги"), _l("Резолюция круглого стола 28.09.2023"),
                  _l("Добавьте хотя бы одну услугу, которую организация оказывает."),
                  "services", lambda d: d.services > 0),
    ChecklistItem("projects", _l("Проекты за последние три года"), STANDARD,
                  _l("Добавьте проекты, которые организация ведёт или вела за последние "
                     "три года."), "projects", lambda d: bool(d.recent_projects())),
    ChecklistItem("reports", _l("Отчёты о деятельности"), _l("7-ФЗ, ст. 32"),
                  _l("Загрузите годовой отчёт или отчёт в Минюст за один из последних лет "
                     "либо дайте ссылку на отчёты на портале Минюста."), "documents",
                  _has_report),
    ChecklistItem("funding", _l("Источники финансирования"), STANDARD,
                  _l("Укажите в проектах, кто их финансирует: гранты, субсидии, пожертвования."),
                  "projects",
                  lambda d: any(p.get("fundings") for p in d.recent_projects())),
)

LEVELS = ((85, "high", _l("высокая")), (50, "medium", _l("средняя")), (0, "low", _l("низкая")))


@dataclass
class ItemResult:
    item: ChecklistItem
    done: bool


@dataclass
class OpennessReport:
    items: list[ItemResult]  # applicable items only, in checklist order

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done_count(self) -> int:
        return sum(r.done for r in self.items)

    @property
    def score(self) -> int:
        """Percent of the applicable checklist filled (rounded down, so 100 means all)."""
        return self.done_count * 100 // self.total if self.total else 0

    @property
    def next_steps(self) -> list[ChecklistItem]:
        return [r.item for r in self.items if not r.done]

    @property
    def level(self) -> str:
        return next(code for floor, code, _ in LEVELS if self.score >= floor)

    @property
    def level_label(self) -> str:
        return str(next(label for floor, _, label in LEVELS if self.score >= floor))


def evaluate(disclosure: Disclosure,
             checklist: Iterable[ChecklistItem] = CHECKLIST) -> OpennessReport:
    results = []
    for item in checklist:
        outcome = item.check(disclosure)
        if outcome is not None:
            results.append(ItemResult(item, bool(outcome)))
    return OpennessReport(results)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


ORG_FIELDS = ("legal_form", "website", "social_links", "phone", "email", "inn", "ogrn",
              "address", "mission", "minjust_reports_url")


def _organization_fields(org: Organization) -> dict[str, Any]:
    data = {key: getattr(org, key) for key in ORG_FIELDS}
    data["activities"] = list(org.activities)
    data["categories"] = [c.slug for c in org.categories]
    return data


def _project_fields(project: Project) -> dict[str, Any]:
    return {"start_date": project.start_date, "end_date": project.end_date,
            "fundings": [f.funder for f in project.fundings]}


def _document_fields(doc: Document) -> dict[str, Any]:
    return {"kind": doc.kind, "year": doc.year}


def from_public_page(org: Organization, services, projects, documents,
                     today: date | None = None) -> OpennessReport:
    """The published profile's score from the lists the public page already loaded."""
    return evaluate(Disclosure(
        _organization_fields(org), len(services), [_project_fields(p) for p in projects],
        [_document_fields(d) for d in documents], today or date.today(),
    ))


def for_public(session: Session, org: Organization, today: date | None = None) -> OpennessReport:
    """The score of what the public sees: live content only."""
    services = session.scalar(select(func.count()).select_from(Service).where(
        Service.organization_id == org.id, Service.live.is_(True)))
    projects = session.scalars(
        select(Project).where(Project.organization_id == org.id, Project.live.is_(True))
        .options(selectinload(Project.fundings))
    ).all()
    documents = session.scalars(
        select(Document).where(Document.organization_id == org.id, Document.live.is_(True))
    ).all()
    return from_public_page(org, range(services or 0), projects, documents, today)


def _latest_projects(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Latest revision snapshots of an organization's non-archived projects, one query."""
    rows = session.execute(
        select(Project, Revision.data)
        .outerjoin(Revision, and_(Revision.entity_type == "program",
                                  Revision.entity_uuid == Project.uuid,
                                  Revision.number == Project.version))
        .where(Project.organization_id == org_id, Project.status != Status.ARCHIVED)
    ).all()
    return [data if data is not None else _project_fields(project) for project, data in rows]


def for_cabinet(session: Session, org: Organization, today: date | None = None) -> OpennessReport:
    """The score of the working version the editor sees: latest revisions, drafts included."""
    revision = session.scalar(select(Revision.data).where(
        Revision.entity_type == "organization", Revision.entity_uuid == org.uuid,
        Revision.number == org.version))
    org_data = revision if revision is not None else _organization_fields(org)
    services = session.scalar(select(func.count()).select_from(Service).where(
        Service.organization_id == org.id, Service.status != Status.ARCHIVED)) or 0
    projects = _latest_projects(session, org.id)
    documents = [_document_fields(d) for d in session.scalars(
        select(Document).where(Document.organization_id == org.id))]
    return evaluate(Disclosure(org_data, services, projects, documents, today or date.today()))
