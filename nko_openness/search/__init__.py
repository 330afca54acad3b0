"""Russian full-text search: the index kept in step with publishing, queries, the page."""
