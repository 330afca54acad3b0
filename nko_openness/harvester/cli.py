"""``nko-openness``: the Resource Centre's commands — harvest, status, reset, forget."""

from __future__ import annotations

from datetime import UTC

import click

from nko_openness import __version__
from nko_openness.harvester.config import ConfigError, load_config, parse_duration
from nko_openness.harvester.progress import for_terminal
from nko_openness.harvester.sync import Harvester, RunReport, run_scheduled

config_option = click.option(
    "-c", "--config", "config_path", envvar="NKO_HARVEST_CONFIG", required=True,
    type=click.Path(dir_okay=False), help="Файл настроек TOML (или NKO_HARVEST_CONFIG).")
database_option = click.option(
    "--database", envvar="NKO_HARVEST_DATABASE_URL",
    help="Адрес базы реплики SQLAlchemy; по умолчанию — database из настроек.")


@click.group()
@click.version_option(__version__, prog_name="nko-openness")
def main():
    """Ресурсный центр: реплика фидов НКО муниципальных сайтов (docs/harvester.md)."""


def _open(config_path: str, database: str | None, **kwargs) -> Harvester:
    try:
        config = load_config(config_path)
        return Harvester.from_config(config, database, **kwargs)
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc


def print_report(report: RunReport) -> None:
    if report.skipped:
        click.echo(report.skipped)
        return
    for result in report.results:
        mark = "ОК     " if result.ok else "ОШИБКА "
        click.echo(f"{mark}{result.name}: {result.message} ({result.seconds:.1f} с)")
    click.echo(f"Итого источников: {len(report.results)}, с ошибкой: {len(report.failed)}.")


@main.command()
@config_option
@database_option
@click.option("--once", is_flag=True, help="Один проход по всем источникам (по умолчанию).")
@click.option("--every", metavar="ИНТЕРВАЛ",
              help="Повторять по расписанию: 15m, 1h, 90s… (старт — каждые ИНТЕРВАЛ).")
@click.option("--max-runs", type=click.IntRange(min=1),
              help="С --every: остановиться после стольких проходов.")
@click.option("-s", "--source", "only", multiple=True, metavar="ИМЯ",
              help="Только этот источник (можно повторять).")
@click.option("--strict", is_flag=True,
              help="Код выхода 1, если ошибся хотя бы один источник (иначе — только если все).")
@click.option("--progress/--no-progress", default=True, help="Показывать ход загрузки.")
@click.option("--progress-interval", type=click.FloatRange(min=0), default=5.0,
              show_default=True, help="Секунд между строками хода, когда вывод не терминал.")
def harvest(config_path, database, once, every, max_runs, only, strict, progress,
            progress_interval):
    """Обновить реплику: снимок для новых источников, затем изменения по курсору."""
    if once and every:
        raise click.UsageError("Укажите либо --once, либо --every.")
    if max_runs and not every:
        raise click.UsageError("--max-runs имеет смысл только вместе с --every.")
    try:
        interval = parse_duration(every) if every else None
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    harvester = _open(config_path, database,
                      progress=for_terminal(progress, progress_interval))
    with harvester:
        unknown = sorted(set(only) - {s.name for s in harvester.sources})
        if unknown:
            raise click.UsageError(f"Нет таких источников в настройках: {', '.join(unknown)}.")
        if interval is None:
            report = harvester.run_once(only)
            print_report(report)
        else:
            try:
                report = run_scheduled(harvester, interval, max_runs=max_runs, only=only,
                                       on_report=print_report)
            except KeyboardInterrupt:
                click.echo("Остановлено.", err=True)
                raise SystemExit(130) from None
    raise SystemExit(report.exit_code(strict))


@main.command()
@config_option
@database_option
def status(config_path, database):
    """Состояние источников в реплике: курсор, записи, последний запуск и сообщение."""
    with _open(config_path, database) as harvester:
        rows = harvester.status()
        regional = harvester.regional_summary()
    if not rows:
        click.echo("Реплика пуста: запустите nko-openness harvest.")
        return
    for row in rows:
        cursor = "нет (нужен снимок)" if row["cursor"] is None else row["cursor"]
        where = "" if row["configured"] else " [нет в настройках]"
        success = row["last_success_at"]
        if success and success.tzinfo:  # PostgreSQL answers in the session's time zone
            success = success.astimezone(UTC)
        success = success.strftime("%Y-%m-%d %H:%M:%S UTC") if success else "—"
        click.echo(f"{row['name']}{where}: статус {row['status']}, записей {row['records']}, "
                   f"курсор {cursor}, последний успех {success}")
        if row["message"]:
            click.echo(f"    {row['message']}")
    click.echo(f"Региональных организаций: {regional['organizations']}, из них в нескольких "
               f"муниципалитетах: {regional['shared']}.")


@main.command()
@config_option
@database_option
@click.argument("name")
def reset(config_path, database, name):
    """Загрузить источник NAME заново из снимка при следующем запуске."""
    with _open(config_path, database) as harvester:
        if not harvester.reset(name):
            raise click.UsageError(f"Источника {name} нет в реплике.")
    click.echo(f"{name}: при следующем запуске будет загружен снимок; записи заменятся "
               "целиком в одной транзакции.")


@main.command()
@config_option
@database_option
@click.argument("name")
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
def forget(config_path, database, name, yes):
    """Удалить источник NAME и все его записи из реплики."""
    if not yes:
        click.confirm(f"Удалить источник {name} и все его записи из реплики?", abort=True)
    with _open(config_path, database) as harvester:
        if not harvester.forget(name):
            raise click.UsageError(f"Источника {name} нет в реплике.")
    click.echo(f"{name}: источник и его записи удалены.")
