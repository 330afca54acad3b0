"""``flask nko deliver``: one pass for cron, or ``--loop`` for a long-running service."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app

from nko_openness.cli import nko_cli

from . import state
from .delivery import PassResult, Settings, backoff, deliver_pass


def _enabled(app) -> bool:
    plugin = sys.modules[__package__]
    return app.extensions["nko_openness"].pm.is_registered(plugin)


def _report(result: PassResult) -> None:
    if result.status == "ok":
        tail = ("всё доставлено" if result.acked_seq >= result.latest_seq
                else f"последнее изменение {result.latest_seq}")
        click.echo(f"Ресурсный центр: доставлено {result.delivered}, подтверждено до "
                   f"изменения {result.acked_seq}; {tail}.")
    elif result.status == "busy":
        click.echo("Ресурсный центр: доставку уже выполняет другой процесс; этот запуск "
                   "ничего не делает.")
    else:
        click.echo(f"Ресурсный центр: приёмник не подтвердил доставку ({result.error}). "
                   f"Доставлено {result.delivered}, подтверждено до изменения "
                   f"{result.acked_seq}; следующий запуск продолжит с него.", err=True)


@nko_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Повторять проходы, пока процесс не остановят.")
@click.option("--max-passes", type=click.IntRange(min=1), default=None,
              help="С --loop: остановиться после стольких проходов.")
@click.option("--interval", type=float, default=None,
              help="С --loop: пауза между проходами, с (по умолчанию NKO_RC_INTERVAL).")
@click.option("--status", "show_status", is_flag=True, help="Показать курсор и выйти.")
@click.option("--reset-to", type=click.IntRange(min=0), default=None,
              help="Установить курсор доставки (0 — отправить всё заново) и выйти.")
def deliver_command(loop, max_passes, interval, show_status, reset_to):
    """Push outbox changes to the Resource Centre (plugin nko_resource_centre)."""
    app = current_app._get_current_object()
    if not _enabled(app):
        raise click.ClickException(
            "Плагин nko_resource_centre не включён: добавьте его в NKO_PLUGINS.")
    settings = Settings.from_app(app)
    engine = app.extensions["nko_openness"].db.engine
    if reset_to is not None:
        state.reset(engine, settings.receiver, reset_to)
        click.echo(f"Курсор доставки «{settings.receiver}» установлен на {reset_to}.")
        return
    if show_status:
        state.ensure_tables(engine)
        cursor = state.read(engine, settings.receiver)
        click.echo(f"Приёмник: {settings.url or '— (NKO_RC_URL не задан)'}\n"
                   f"Подтверждено до изменения: {cursor.acked_seq}"
                   f" ({cursor.acked_at or 'ещё ни разу'})\n"
                   f"Доставлено всего: {cursor.delivered}\n"
                   f"Неудачных проходов подряд: {cursor.failures}"
                   + (f"\nПоследняя ошибка: {cursor.last_error}" if cursor.last_error else ""))
        return
    if not settings.url:
        click.echo("Ресурсный центр не настроен (NKO_RC_URL не задан): доставлять некуда, "
                   "плагин ничего не делает.")
        return
    if not settings.secret:
        raise click.ClickException(
            "NKO_RC_SECRET не задан: без общего секрета доставка не подписывается и не "
            "выполняется.")
    if not loop:
        result = deliver_pass(app)
        _report(result)
        click.get_current_context().exit(1 if result.status == "failed" else 0)
    pause = settings.interval if interval is None else interval
    failed_passes = 0
    passes = 0
    while True:
        result = deliver_pass(app)
        _report(result)
        passes += 1
        failed_passes = failed_passes + 1 if result.status == "failed" else 0
        if max_passes is not None and passes >= max_passes:
            click.get_current_context().exit(1 if result.status == "failed" else 0)
        # After failures wait longer and longer (capped): a receiver down for hours is
        # asked a few times an hour, not every interval.
        time.sleep(backoff(failed_passes, pause, pause * 16) if failed_passes else pause)
