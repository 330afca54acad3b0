"""One organization's synthetic life: its records, their content, and a workflow-faithful history.

The history is simulated with the rules of ``publishing/workflow.py`` (who is public when, which
transition writes which Change rows), so the generated outbox is one the module could have
written itself: the latest op of every public record is an upsert, of every record the public
saw and no longer sees a delete, and records never published have no Change rows at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from random import Random

from nko_openness.core.validators import inn_check_digits, ogrn_check_digit
from nko_openness.core.vocabularies import ACTIVITY_TYPES, FORMS_WITHOUT_LEGAL_ENTITY
from nko_openness.devdata import generator_text as words
from nko_openness.models import Status, sort_key

DAY = 86400
T_START = int(datetime(2019, 1, 15, tzinfo=UTC).timestamp())
# A fixed end, never "now": the same seed must give the same rows on any day.
T_END = int(datetime(2026, 10, 31, tzinfo=UTC).timestamp())

SERVICE_COUNT_WEIGHTS = (12, 15, 15, 13, 11, 10, 8, 7, 5, 4)  # 1..10 services, mean ≈ 4.5
PROJECT_COUNT_WEIGHTS = (20, 25, 20, 15, 10, 6, 4)  # 0..6 projects, mean ≈ 2
EDIT_CONTINUE = 0.7  # geometric number of re-published edits per record, mean ≈ 2.3
MAX_EDITS = 12
PENDING_STATUSES = (Status.SUBMITTED, Status.SUBMITTED, Status.DRAFT, Status.RETURNED)
RETURN_COMMENT = "Уточните, пожалуйста, порядок получения услуги и контактный телефон."

_FORMS = tuple(words.LEGAL_FORM_WEIGHTS)
_FORM_WEIGHTS = tuple(words.LEGAL_FORM_WEIGHTS.values())
_ACTIVITIES = tuple(ACTIVITY_TYPES)


@dataclass(eq=False)
class Record:
    """A generated organization, service or project with its final workflow state."""

    kind: str  # "organization", "service", "program": the feeds' entity types
    uuid: uuid.UUID
    row: dict
    categories: list[int]
    snapshot: dict
    created: int
    children: list[Record] = field(default_factory=list)
    live: bool = False
    public: bool = False
    deleted: bool = False
    status: str = Status.DRAFT
    version: int = 1
    live_version: int | None = None
    first_published: int | None = None
    last_published: int | None = None
    updated: int = 0
    saves: list[int] = field(default_factory=list)  # time of each revision, in order
    pending: str | None = None  # status of the draft the public does not see
    id: int | None = None

    def __post_init__(self):
        self.saves.append(self.created)  # revision 1: the record as first saved
        self.updated = self.created


@dataclass
class Plan:
    """What one organization contributes: its records and the Change events it caused."""

    org: Record
    changes: list[tuple[int, str, uuid.UUID, str]] = field(default_factory=list)


class Planner:
    """Plans organizations one by one from a seeded Random; holds the category vocabulary."""

    def __init__(self, rng: Random, category_ids: dict[str, int], total: int):
        self.rng = rng
        self.text = words.TextFactory(rng)
        self.category_slugs = {v: k for k, v in category_ids.items()}
        self.category_pool = tuple(category_ids.values())
        self.total = max(total, 1)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def categories(self, low: int, high: int) -> list[int]:
        return sorted(self.rng.sample(self.category_pool, self.rng.randint(low, high)))

    # ---- content -----------------------------------------------------------------------

    def organization(self, number: int, ordinal: int) -> Record:
        rng = self.rng
        form = rng.choices(_FORMS, _FORM_WEIGHTS)[0]
        region, region_name, towns = rng.choice(words.REGIONS)
        town = rng.choice(towns)
        proper = rng.choice(words.PROPER_NAMES)
        descriptor = rng.choice(words.DESCRIPTORS)
        name = f"{words.LEGAL_FORM_TITLES[form]} {descriptor} «{proper}»"
        if rng.random() < 0.3:
            name = f"{words.LEGAL_FORM_TITLES[form]} «{proper}» {region_name}"
        year = rng.randint(1995, 2024)
        core = words.translit(proper)
        has_entity = form not in FORMS_WITHOUT_LEGAL_ENTITY
        office = rng.randint(1, 30)
        inn = ogrn = kpp = None
        if has_entity:
            inn_body = f"{region:02d}{(number * 7919 + 13) % 10**7:07d}"
            inn = inn_body + inn_check_digits(inn_body)
            ogrn_body = f"1{year % 100:02d}{region:02d}{number % 10**7:07d}"
            ogrn = ogrn_body + ogrn_check_digit(ogrn_body)
            kpp = f"{region:02d}{office:02d}01001"
        row = {
            "slug": f"{core}-{words.translit(town)}-{number}",
            "name": name,
            "alternate_name": f"{form.upper()[:3]} «{proper}»" if rng.random() < 0.4 else None,
            "sort_name": sort_key(name),
            "legal_form": form,
            "inn": inn, "ogrn": ogrn, "kpp": kpp,
            "description": self.text.rich_text(rng.randint(2, 5), town, year,
                                               bullets=rng.random() < 0.4),
            "mission": self.text.rich_text(1, town, year),
            "website": f"https://{core}-{number}.ru" if rng.random() < 0.6 else None,
            "email": f"info@{core}-{number}.ru" if rng.random() < 0.8 else None,
            "phone": self.phone(),
            "contact_role": rng.choice(("приёмная", "председатель", "координатор", None)),
            "address": f"г. {town}, {rng.choice(words.STREETS)}, д. {rng.randint(1, 150)}",
            "locality": town,
            "year_incorporated": year,
            "in_registry": rng.random() < 0.15,
            "minjust_reports_url": (f"https://unro.minjust.gov.ru/reports/{ogrn}"
                                    if ogrn and rng.random() < 0.5 else None),
            "social_links": [f"https://vk.com/{core}{number}"] if rng.random() < 0.7 else [],
            "extra": {},
        }
        activities = sorted(rng.sample(_ACTIVITIES, rng.randint(1, 4)))
        categories = self.categories(1, 4)
        t0 = T_START + int(ordinal / self.total * (T_END - T_START) * 0.85)
        t0 += rng.randint(0, 20 * DAY)
        org = Record("organization", self.uuid(), row, categories,
                     self._snapshot(row, ("name", "slug", "legal_form", "inn", "ogrn",
                                          "locality"), categories), created=t0)
        org.snapshot["activities"] = activities
        org.row["_activities"] = activities
        org.row["_town"], org.row["_year"] = town, year
        return org

    def phone(self) -> str:
        rng = self.rng
        return (f"+7 ({rng.randint(300, 499)}) {rng.randint(200, 999)}-"
                f"{rng.randint(10, 99)}-{rng.randint(10, 99)}")

    def service(self, org: Record, created: int) -> Record:
        rng = self.rng
        town, year = org.row["_town"], org.row["_year"]
        is_free = rng.random() < 0.85
        low = rng.choice((None, None, 0, 3, 7, 14, 18, 55, 60))
        high = None if low is None or low >= 55 else rng.choice((None, 17, 35, 80))
        row = {
            "name": rng.choice(words.SERVICE_NAMES),
            "alternate_name": None,
            "description": self.text.rich_text(rng.randint(1, 3), town, year,
                                               bullets=rng.random() < 0.25),
            "service_status": rng.choices(("active", "inactive", "temporarily closed",
                                           "defunct"), (90, 4, 4, 2))[0],
            "url": None,
            "email": org.row["email"] if rng.random() < 0.3 else None,
            "phone": self.phone() if rng.random() < 0.4 else None,
            "contact_role": None,
            "eligibility_description": rng.choice(words.ELIGIBILITY),
            "minimum_age": low,
            "maximum_age": high,
            "is_free": is_free,
            "fees_description": None if is_free else f"{rng.randint(2, 30) * 50} ₽ за занятие.",
            "application_process": rng.choice(words.APPLY),
            "schedule_description": rng.choice(words.SCHEDULES),
            "service_area": f"г. {town}" if rng.random() < 0.7 else f"г. {town} и район",
            "address": org.row["address"] if rng.random() < 0.5 else None,
            "extra": {},
        }
        categories = self.categories(1, 3)
        return Record("service", self.uuid(), row, categories,
                      self._snapshot(row, ("name", "is_free", "service_status", "minimum_age",
                                           "maximum_age"), categories), created=created)

    def project(self, org: Record, created: int) -> Record:
        rng = self.rng
        town, year = org.row["_town"], org.row["_year"]
        start = datetime.fromtimestamp(created, UTC).date()
        end = date(start.year + rng.randint(0, 2), rng.randint(1, 12), 28)
        end = max(end, start)
        today = datetime.fromtimestamp(T_END, UTC).date()
        status = "completed" if end < today else ("planned" if start > today else "active")
        row = {
            "name": f"Проект «{rng.choice(words.PROJECT_NAMES)}»",
            "alternate_name": None,
            "description": self.text.rich_text(rng.randint(1, 3), town, year),
            "goal": self.text.rich_text(1, town, year),
            "tasks": self.text.task_list(),
            "start_date": start, "end_date": end, "project_status": status,
            "geography": f"г. {town}",
            "partners": "Управление социальной защиты населения" if rng.random() < 0.4 else None,
            "url": None,
            "extra": {},
        }
        results = []
        for position, (indicator, unit) in enumerate(rng.sample(words.INDICATORS,
                                                                rng.randint(1, 4))):
            planned = rng.randint(2, 60) * 10
            achieved = (Decimal(int(planned * rng.uniform(0.7, 1.3)))
                        if status == "completed" else None)
            results.append({"position": position, "indicator": indicator, "unit": unit,
                            "planned": Decimal(planned), "achieved": achieved})
        fundings = []
        for position in range(rng.choices((0, 1, 2), (25, 60, 15))[0]):
            funder, programme = rng.choice(words.FUNDERS)
            fundings.append({"position": position, "funder": funder, "programme": programme,
                             "amount": Decimal(rng.randint(5, 500) * 10000), "currency": "RUB",
                             "award_date": start})
        row["_results"], row["_fundings"] = results, fundings
        categories = self.categories(1, 3)
        return Record("program", self.uuid(), row, categories,
                      self._snapshot(row, ("name", "project_status", "start_date", "end_date"),
                                     categories), created=created)

    def _snapshot(self, row: dict, keys: tuple[str, ...], categories: list[int]) -> dict:
        # Revisions stay compact: identifying fields and lists, no rich text. A partial
        # snapshot is still valid input for workflow.apply_snapshot, which sets what is there.
        data = {k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in ((k, row[k]) for k in keys)}
        data["categories"] = [self.category_slugs[c] for c in categories]
        return data

    # ---- history -----------------------------------------------------------------------

    def plan(self, number: int, ordinal: int) -> Plan:
        rng = self.rng
        org = self.organization(number, ordinal)
        t0 = org.created
        for _ in range(rng.choices(range(1, 11), SERVICE_COUNT_WEIGHTS)[0]):
            org.children.append(self.service(org, self._child_created(t0)))
        for _ in range(rng.choices(range(0, 7), PROJECT_COUNT_WEIGHTS)[0]):
            org.children.append(self.project(org, self._child_created(t0)))
        events: list[tuple[int, int, str, Record]] = []
        self._org_events(org, events)
        for child in org.children:
            self._child_events(org, child, events)
        events.sort(key=lambda e: (e[0], e[1]))
        plan = Plan(org)
        for t, _order, action, record in events:
            _apply(plan, org, record, action, t)
        return plan

    def _child_created(self, t0: int) -> int:
        if self.rng.random() < 0.6:
            return t0
        return self.rng.randint(t0, max(t0, T_END - 30 * DAY))

    def _edits(self, after: int, until: int) -> list[int]:
        n = 0
        while n < MAX_EDITS and self.rng.random() < EDIT_CONTINUE:
            n += 1
        return sorted(self.rng.randint(after, until) for _ in range(n)) if until > after else []

    def _lifecycle(self, record: Record, publish_at: int | None, events: list, *,
                   order: int, p_unpublish: float, p_delete: float, p_cycle: float) -> None:
        """Publication, edits, maybe a withdrawal and return, and how it ends."""
        rng = self.rng
        if publish_at is None or publish_at >= T_END:
            # Never published: a draft, perhaps waiting for or returned from review.
            record.pending = rng.choice(PENDING_STATUSES)
            return
        events.append((publish_at, order, "publish", record))
        end = T_END
        last = publish_at
        fate = rng.random()
        if fate < p_delete:
            end = rng.randint(publish_at, T_END)
            events.append((end, order, "delete", record))
        elif fate < p_delete + p_unpublish:
            end = rng.randint(publish_at, T_END)
            events.append((end, order, rng.choice(("unpublish", "unpublish", "archive")), record))
        elif fate < p_delete + p_unpublish + p_cycle:
            away = rng.randint(publish_at, T_END - 2 * DAY)
            last = rng.randint(away + DAY, min(T_END, away + 60 * DAY))
            events.append((away, order, "unpublish", record))
            events.append((last, order, "republish", record))
        edits = self._edits(publish_at, end - 1)
        events.extend((t, order, "edit", record) for t in edits)
        if end == T_END and rng.random() < 0.08:
            # A newer draft waits for review while the public keeps the live version.
            record.pending = rng.choice(PENDING_STATUSES)
            last = max(last, *edits) if edits else last
            events.append((rng.randint(last, T_END), order + 1, "pending", record))

    def _org_events(self, org: Record, events: list) -> None:
        publish_at = None
        if self.rng.random() >= 0.06:
            publish_at = org.created + self.rng.randint(DAY, 30 * DAY)
        org.row["_publish_at"] = publish_at
        self._lifecycle(org, publish_at, events, order=0, p_unpublish=0.04, p_delete=0.02,
                        p_cycle=0.05)

    def _child_events(self, org: Record, child: Record, events: list) -> None:
        org_publish = org.row["_publish_at"]
        publish_at = None
        if org_publish is not None and self.rng.random() >= 0.07:
            publish_at = max(child.created, org_publish) + self.rng.randint(DAY // 2, 20 * DAY)
        self._lifecycle(child, publish_at, events, order=2, p_unpublish=0.03, p_delete=0.03,
                        p_cycle=0.0)


def _emit(plan: Plan, t: int, record: Record, op: str) -> None:
    plan.changes.append((t, record.kind, record.uuid, op))


def _live_children(org: Record) -> list[Record]:
    return [c for c in org.children if c.live and not c.deleted]


def _apply(plan: Plan, org: Record, record: Record, action: str, t: int) -> None:
    """One transition, with exactly the Change rows publishing/workflow.py would write."""
    if record.deleted or (record is not org and org.deleted):
        return
    is_org = record is org
    was_public = record.live and (is_org or org.live)
    if action in ("publish", "edit", "republish"):
        if action == "edit":
            record.version += 1
            record.saves.append(t)
        record.status = Status.PUBLISHED
        record.live = True
        record.live_version = record.version
        record.first_published = record.first_published or t
        record.last_published = t
        if is_org or org.live:
            _emit(plan, t, record, "upsert")
            if is_org and not was_public:
                for child in _live_children(org):
                    _emit(plan, t, child, "upsert")
    elif action in ("unpublish", "archive", "delete"):
        if was_public:
            _emit(plan, t, record, "delete")
            if is_org:
                for child in _live_children(org):
                    _emit(plan, t, child, "delete")
        if action == "delete":
            record.deleted = True
        else:
            record.status = Status.ARCHIVED if action == "archive" else Status.UNPUBLISHED
            record.live = False
    elif action == "pending":
        record.version += 1
        record.saves.append(t)
    record.updated = max(record.updated, t)
