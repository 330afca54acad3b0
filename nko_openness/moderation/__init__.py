"""Moderation: the queue of submissions, the field-by-field review and each decision."""
