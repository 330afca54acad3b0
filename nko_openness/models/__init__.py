"""The module's SQLAlchemy models (an HSDS 3.1 profile); they import nothing above them."""

from nko_openness.models.base import Base
from nko_openness.models.document import Document
from nko_openness.models.organization import Organization, OrganizationActivity, sort_key
from nko_openness.models.project import Project, ProjectFunding, ProjectResult
from nko_openness.models.search import SearchDocument, SearchFacet
from nko_openness.models.service import Service
from nko_openness.models.tally import CategoryTally, CategoryTallyEntry
from nko_openness.models.token import ApiToken
from nko_openness.models.vocabulary import (
    BENEFICIARY_TAXONOMY_ID,
    BeneficiaryCategory,
    organization_categories,
    project_categories,
    service_categories,
)
from nko_openness.models.workflow import Change, Membership, Revision, Status, WorkflowEvent

__all__ = [
    "ApiToken",
    "BENEFICIARY_TAXONOMY_ID",
    "Base",
    "BeneficiaryCategory",
    "CategoryTally",
    "CategoryTallyEntry",
    "Change",
    "Document",
    "Membership",
    "Organization",
    "OrganizationActivity",
    "Project",
    "ProjectFunding",
    "ProjectResult",
    "Revision",
    "SearchDocument",
    "SearchFacet",
    "Service",
    "Status",
    "WorkflowEvent",
    "organization_categories",
    "project_categories",
    "service_categories",
    "sort_key",
]
