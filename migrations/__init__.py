"""Alembic scripts for the module's own ``nko_*`` tables, shipped as ``nko_openness.migrations``."""
