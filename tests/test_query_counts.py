"""No public page sends a number of SQL statements that grows with the data (issue 7).

Each page is requested with 5 organizations, services, projects and results in the database,
then with 50; the statements sent for one request are counted with a SQLAlchemy
``before_cursor_execute`` listener and must be the same.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import statements
from factories import make_org, make_project, make_service

from nko_openness.catalog.queries import encode_cursor
from nko_openness.models import ProjectFunding, ProjectResult

CATEGORY = "elderly"


class World:
    """Records that grow; the pages below always show the same few of them."""

    def __init__(self, session):
        self.session = session
        self.orgs, self.services, self.projects = [], [], []

    def grow(self, n: int) -> None:
        session = self.session
        while len(self.orgs) < n:
            self.orgs.append(make_org(session, categories=(CATEGORY, "disabled"),
                                      activities=("social_support", "legal_aid")))
        big = self.orgs[0]
        while len(self.services) < n:
            self.services.append(make_service(session, big, categories=(CATEGORY,)))
        while len(self.projects) < n:
            self.projects.append(make_project(session, big, categories=(CATEGORY,)))
        project = self.projects[0]
        for i in range(len(project.results), n):
            project.results.append(ProjectResult(position=i, indicator=f"Показатель {i}",
                                                 unit="человек", planned=Decimal(10)))
            project.fundings.append(ProjectFunding(position=i, funder=f"Фонд {i}",
                                                   amount=Decimal(1000)))
        session.commit()

    def urls(self) -> dict[str, str]:
        middle = sorted(self.orgs, key=lambda o: (o.sort_name, o.id))[len(self.orgs) // 2]
        return {
            "catalog": "/nko/",
            "catalog by category": f"/nko/?category={CATEGORY}",
            "catalog by activity": "/nko/?activity=legal_aid",
            "catalog, later page": f"/nko/?after={encode_cursor(middle.sort_name, middle.id)}",
            "organization": f"/nko/organizations/{self.orgs[0].slug}",
            "service": f"/nko/services/{self.services[0].uuid}",
            "project": f"/nko/projects/{self.projects[0].uuid}",
            "category": f"/nko/categories/{CATEGORY}",
            "categories": "/nko/categories/",
            "search": "/nko/search?q=Услуга",
            "changes feed": "/nko/api/v1/changes?after=0&limit=500",
            "HSDS organizations": "/nko/api/hsds/organizations",
            "HSDS organization": f"/nko/api/hsds/organizations/{self.orgs[0].uuid}",
            "HSDS services": "/nko/api/hsds/services",
        }


@pytest.fixture
def counts(app, client, session):
    world = World(session)
    by_size = {}
    for size in (5, 50):
        world.grow(size)
        by_size[size] = {page: statements(app, client, url)
                         for page, url in world.urls().items()}
    return by_size


def test_no_page_sends_more_statements_with_more_data(counts):
    grown = {page: (counts[5][page], counts[50][page]) for page in counts[5]
             if counts[50][page] > counts[5][page]}
    assert not grown, f"statements per request, at 5 and at 50 records: {grown}"

