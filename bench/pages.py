"""Page cost in-process (Flask test client): each public page at two scales, and the bare limit.

Each page kind has K URLs spread over the data (organizations from the whole id range,
cursors from the middle of the catalog, ...), so a round measures typical records rather
than one hot row. Rounds alternate between the scales, so a busy neighbour on the machine
slows both sides of a ratio alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from flask import Flask
from sqlalchemy import event, func, select

from nko_openness.catalog.queries import encode_cursor
from nko_openness.models import BeneficiaryCategory, Organization, Project, Service

from .stats import Sample, per_call_ms

MIN_CALLS = 10  # requests per round, also for pages with a single URL
SEARCH_QUERIES = ("психолог", "юридическая консультация", "семьи с детьми", "волонтёры",
                  "реабилитация", "пожилые", "спорт", "социальное такси")


@dataclass
class PageSet:
    """URLs for each page kind, for one database."""

    urls: dict[str, list[str]] = field(default_factory=dict)
    org_ids: list[int] = field(default_factory=list)  # the same organizations as "organization"


def _spread(items: list, k: int) -> list:
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def page_set(app: Flask, k: int) -> PageSet:
    """Pick K URLs per page kind from the database behind ``app`` (deterministically)."""
    with app.app_context():
        session = app.extensions["nko_openness"].db.session
        orgs = _spread(session.execute(
            select(Organization.id, Organization.slug).where(Organization.live.is_(True))
            .order_by(Organization.id)).all(), k)
        public = {}
        for model in (Service, Project):
            public[model] = _spread(session.scalars(
                select(model.uuid).join(Organization, model.organization_id == Organization.id)
                .where(model.live.is_(True), Organization.live.is_(True))
                .order_by(model.id)).all(), k)
        live_count = session.scalar(select(func.count()).where(Organization.live.is_(True)))
        cursors = []
        for i in range(k):  # the middle fifth of the catalog
            offset = int(live_count * (0.4 + 0.2 * i / k))
            key = session.execute(
                select(Organization.sort_name, Organization.id)
                .where(Organization.live.is_(True))
                .order_by(Organization.sort_name, Organization.id).offset(offset).limit(1)
            ).first()
            cursors.append(encode_cursor(*key))
        categories = session.scalars(
            select(BeneficiaryCategory.slug).order_by(BeneficiaryCategory.position)).all()
    rules = {rule.endpoint for rule in app.url_map.iter_rules()}
    urls = {
        "catalog": ["/nko/"],
        "catalog_deep": [f"/nko/?after={c}" for c in cursors],
        "organization": [f"/nko/organizations/{slug}" for _id, slug in orgs],
        # The same pages with the page cache emptied before each request, as after a publication.
        "organization_cold": [f"/nko/organizations/{slug}" for _id, slug in orgs],
        "service": [f"/nko/services/{u}" for u in public[Service]],
        "project": [f"/nko/projects/{u}" for u in public[Project]],
        "category": [f"/nko/categories/{slug}" for slug in categories[:k]],
        "categories": ["/nko/categories/"],
        "categories_cold": ["/nko/categories/"],
        "bare": [f"/bench/bare/{org_id}" for org_id, _slug in orgs],
    }
    if "nko_search.search" in rules:
        urls["search"] = [f"/nko/search?q={quote_plus(q)}" for q in SEARCH_QUERIES]
    return PageSet(urls, [org_id for org_id, _slug in orgs])


class StatementCounter:
    """Counts SQL statements sent on the app's engine (``before_cursor_execute``)."""

    def __init__(self, app: Flask):
        self.engine = app.extensions["nko_openness"].db.engine
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args):
        self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@dataclass
class PageResult:
    wall: Sample = field(default_factory=Sample)
    cpu: Sample = field(default_factory=Sample)
    statements: int = 0
    errors: list[str] = field(default_factory=list)


def _requester(client, urls: list[str], cold: bool = False) -> Callable[[], None]:
    state = {"i": 0}
    cache = client.application.extensions["nko_openness"].cache

    def one():
        url = urls[state["i"] % len(urls)]
        state["i"] += 1
        if cold:  # as after any publication: the cache is keyed by the latest Change seq
            cache.clear()
        client.get(url).close()

    return one


def measure(apps: dict[str, Flask], sets: dict[str, PageSet], rounds: int, say) -> dict:
    """{scale: {page: PageResult}}; rounds alternate between the scales for each page."""
    results: dict[str, dict[str, PageResult]] = {scale: {} for scale in apps}
    clients = {scale: app.test_client() for scale, app in apps.items()}
    pages = list(next(iter(sets.values())).urls)
    for page in pages:
        for scale, app in apps.items():
            result = results[scale][page] = PageResult()
            counter = StatementCounter(app)
            cache = app.extensions["nko_openness"].cache
            for url in sets[scale].urls[page]:  # warm-up, status and statement count
                # Counted in the state the timed requests see: a warm page cache, or an empty one.
                if page.endswith("_cold"):
                    cache.clear()
                else:
                    clients[scale].get(url).close()
                counter.count = 0
                response = clients[scale].get(url)
                if response.status_code != 200:
                    result.errors.append(f"{url}: HTTP {response.status_code}")
                response.close()
                result.statements = max(result.statements, counter.count)
            counter.close()
        for _ in range(rounds):
            for scale in apps:
                urls = sets[scale].urls[page]
                cold = page.endswith("_cold")  # slow by nature: one request per round
                calls = len(urls) if cold else max(len(urls), MIN_CALLS)
                one = _requester(clients[scale], urls, cold=cold)
                wall, cpu = per_call_ms(one, calls)
                results[scale][page].wall.values.append(wall)
                results[scale][page].cpu.values.append(cpu)
        say("  " + page + ": " + ", ".join(
            f"{scale} {results[scale][page].wall.text()}" for scale in apps))
    return results
