"""``flask nko …``: migrations, demo data and maintenance commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

nko_cli = AppGroup("nko", help="Раздел НКО: миграции, демо-данные, обслуживание.")


@nko_cli.group("db")
def db_cli():
    """Migrations of the module's own tables (own Alembic version table)."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Upgrade the module's tables to REVISION (default: head)."""
    from .migrate import upgrade

    upgrade(current_app, revision)
    click.echo(f"nko_openness: upgraded to {revision}")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision):
    """Downgrade the module's tables to REVISION (default: one step back; 'base' drops all)."""
    from .migrate import downgrade

    downgrade(current_app, revision)
    click.echo(f"nko_openness: downgraded to {revision}")


@db_cli.command("current")
def db_current():
    """Show the module's current migration revision."""
    from .migrate import current_revision

    click.echo(current_revision(current_app) or "base")


@nko_cli.command("seed-categories")
def seed_categories_command():
    """Load or refresh the beneficiary category vocabulary."""
    from .db import db_session
    from .services.vocabulary import seed_categories

    session = db_session()
    added = seed_categories(session, current_app)
    session.commit()
    click.echo(f"Категорий добавлено: {added}")


@nko_cli.command("load-demo")
def load_demo_command():
    """Load the Belogorsk demo organizations, services and projects (idempotent)."""
    from .db import db_session
    from .services.demo import load_demo

    session = db_session()
    summary = load_demo(session, current_app)
    click.echo(summary)
