"""Publishing: disclosure forms to draft revisions, the workflow and its outbox, permissions."""
