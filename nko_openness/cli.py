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
    from nko_openness.migrate import upgrade

    upgrade(current_app, revision)
    click.echo(f"nko_openness: upgraded to {revision}")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision):
    """Downgrade the module's tables to REVISION (default: one step back; 'base' drops all)."""
    from nko_openness.migrate import downgrade

    downgrade(current_app, revision)
    click.echo(f"nko_openness: downgraded to {revision}")


@db_cli.command("current")
def db_current():
    """Show the module's current migration revision."""
    from nko_openness.migrate import current_revision

    click.echo(current_revision(current_app) or "base")


@nko_cli.command("seed-categories")
def seed_categories_command():
    """Load or refresh the beneficiary category vocabulary."""
    from nko_openness.core.db import db_session
    from nko_openness.publishing.vocabulary import seed_categories

    session = db_session()
    added = seed_categories(session, current_app)
    session.commit()
    click.echo(f"Категорий добавлено: {added}")


@nko_cli.command("load-demo")
def load_demo_command():
    """Load the Belogorsk demo organizations, services and projects (idempotent)."""
    from nko_openness.core.db import db_session
    from nko_openness.devdata.demo import load_demo

    session = db_session()
    summary = load_demo(session, current_app)
    click.echo(summary)


@nko_cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json):
    """List installed plugins (entry points) and enabled ones with the hooks each implements."""
    import json

    from nko_openness.core.plugins import ENTRY_POINT_GROUP, describe

    info = describe(current_app)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"Установленные плагины (entry points «{ENTRY_POINT_GROUP}»):")
    for item in info["installed"]:
        state = "включён" if item["enabled"] else "не включён (добавьте в NKO_PLUGINS)"
        version = f" {item['distribution']} {item['version']}" if item["distribution"] else ""
        click.echo(f"  {item['name']} = {item['value']}{version} — {state}")
    if not info["installed"]:
        click.echo("  —")
    click.echo("Включённые плагины и их хуки:")
    for item in info["enabled"]:
        hooks = ", ".join(item["hooks"]) or "—"
        click.echo(f"  {item['name']} [{item['source']}]: {hooks}")


@nko_cli.group("token")
def token_cli():
    """API tokens for the export feed (internal fields, higher rate limits)."""


@token_cli.command("create")
@click.argument("name")
def token_create(name):
    """Create a token for NAME (say, the Resource Centre); the token is shown only once."""
    from nko_openness.core.db import db_session
    from nko_openness.export.feed import create_token

    session = db_session()
    token, secret = create_token(session, name, created_by="cli")
    session.commit()
    click.echo(f"Токен #{token.id} для «{name}» создан. Он показан один раз — сохраните его:")
    click.echo(secret)


@token_cli.command("revoke")
@click.argument("token_id")
def token_revoke(token_id):
    """Revoke a token by its number or prefix from `flask nko token list`."""
    from nko_openness.core.db import db_session
    from nko_openness.export.feed import revoke_token

    session = db_session()
    token = revoke_token(session, token_id)
    if token is None:
        raise click.ClickException(f"Действующий токен {token_id!r} не найден.")
    session.commit()
    click.echo(f"Токен #{token.id} ({token.name}) отозван.")


@token_cli.command("list")
def token_list():
    """List tokens: number, prefix, name, created, revoked."""
    from nko_openness.core.db import db_session
    from nko_openness.export.feed import list_tokens

    for token in list_tokens(db_session()):
        state = f"отозван {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "действует"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\t"
                   f"{token.created_at:%Y-%m-%d %H:%M}\t{state}")


@nko_cli.command("generate")
@click.option("--orgs", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Сколько организаций создать (220000 — масштаб всей России).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Зерно генератора: то же зерно даёт те же данные.")
@click.option("--search-index/--no-search-index", default=True, show_default=True,
              help="Перестроить поисковый индекс после загрузки.")
def generate_command(orgs, seed, search_index):
    """Generate synthetic NKOs with services, projects and edit history (for benchmarks)."""
    from nko_openness.devdata.generator import GeneratorError, generate

    try:
        stats = generate(current_app, orgs, seed, progress=click.echo,
                         search_index=search_index)
    except GeneratorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(stats.summary())


@nko_cli.group("search")
def search_cli():
    """The full-text search index (kept in step by publishing; rebuild after bulk loads)."""


@search_cli.command("reindex")
@click.option("--batch", type=click.IntRange(min=1), default=200, show_default=True,
              help="Организаций за один шаг.")
def search_reindex(batch):
    """Rebuild the search index from the published records, in one transaction."""
    from nko_openness.core.db import db_session
    from nko_openness.search.index import ensure_index, rebuild

    ensure_index(current_app.extensions["nko_openness"].db.engine)
    session = db_session()
    written = rebuild(session, current_app, batch=batch,
                      progress=lambda done, total: click.echo(f"Организации: {done}/{total}"))
    session.commit()
    click.echo(f"Поисковый индекс перестроен: документов {written}.")
