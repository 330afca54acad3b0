"""The NKO cabinet: an editor's organizations, their disclosure forms, preview and submission."""
