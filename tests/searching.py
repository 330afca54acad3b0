"""Running a search as the search page does, for the search tests."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from nko_openness.search import query as search


def find(app, session, q="", **filters):
    """Search for ``q`` with facet filters (a value or a list of values per facet)."""
    args = MultiDict([("q", q)])
    for name, values in filters.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            args.add(name, value)
    return search.search(session, search.parse_request(args, app), app)
