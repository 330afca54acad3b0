"""Random workflow histories for property tests: the bookkeeping both of them share.

A history acts through the workflow services, as the cabinet and moderators would; each test
adds the steps it is about (edits, new categories, dropped categories…).
"""

from __future__ import annotations

from factories import make_org, make_project, make_service

from nko_openness.models import Organization
from nko_openness.publishing.workflow import mark_deleted


class WorkflowHistory:
    def __init__(self, session):
        self.session = session
        self.orgs: list[Organization] = []
        self.records: list = []
        self.owner: dict[int, Organization] = {}  # id(child) -> its organization

    def pick(self, items, i):
        return items[i % len(items)] if items else None

    def new_org(self, publish: bool, categories: list[str]) -> None:
        org = make_org(self.session, publish=publish, categories=categories)
        self.orgs.append(org)
        self.records.append(org)

    def new_child(self, kind: str, org_index: int, publish: bool, categories: list[str]) -> None:
        org = self.pick(self.orgs, org_index)
        if org is None:
            return
        maker = make_service if kind == "new_service" else make_project
        child = maker(self.session, org, publish=publish, categories=categories)
        self.records.append(child)
        self.owner[id(child)] = org

    def delete(self, record) -> None:
        mark_deleted(self.session, record, "mod")
        gone = {id(record)}
        if isinstance(record, Organization):
            self.orgs.remove(record)
            # Known from creation: touching a cascade-deleted child would reload it.
            gone |= {id(r) for r in self.records if self.owner.get(id(r)) is record}
        self.records = [r for r in self.records if id(r) not in gone]
