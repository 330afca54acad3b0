"""The module's SQLAlchemy models (an HSDS 3.1 profile); they import nothing above them."""

from .base import Base
from .document import Document
from .organization import Organization, OrganizationActivity, sort_key
from .project import Project, ProjectFunding, ProjectResult
from .search import SearchDocument, SearchFacet
from .service import Service
from .tally import CategoryTally, CategoryTallyEntry
from .token import ApiToken
from .vocabulary import (
    BENEFICIARY_TAXONOMY_ID,
    BeneficiaryCategory,
    organization_categories,
    project_categories,
    service_categories,
)
from .workflow import Change, Membership, Revision, Status, WorkflowEvent

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
