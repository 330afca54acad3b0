"""Russian full-text search over published records: ranked hits, snippets and facet counts."""

from __future__ import annotations

from .search_index import (  # noqa: F401  (the index API, re-exported for workflow and views)
    Facet,
    drop_record,
    ensure_index,
    facets,
    index_records,
    rebuild,
    register_facet,
    sync_record,
)
