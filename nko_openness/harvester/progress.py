"""Progress of a long harvest: records and records per second, per source."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click


class Progress:
    """Silent; the base of the displays. The harvester calls begin → advance* → end per source."""

    def begin(self, source: str, phase: str, unit: str = "records") -> None:
        """``unit`` is "records" or "bytes" (a download)."""

    def advance(self, source: str, count: int) -> None:
        pass

    def end(self, source: str) -> None:
        pass


class LineProgress(Progress):
    """Plain lines every ``interval`` seconds: readable in logs, cron mail and journald."""

    def __init__(self, echo: Callable[[str], None] | None = None, interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.echo = echo or (lambda text: click.echo(text, err=True))
        self.interval, self.clock = interval, clock
        self.phase: dict[str, str] = {}
        self.unit: dict[str, str] = {}
        self.count: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.shown = 0.0

    def begin(self, source: str, phase: str, unit: str = "records") -> None:
        self.phase[source] = phase
        self.unit[source] = unit
        self.count[source] = 0
        self.started[source] = self.shown = self.clock()
        self.show(source, final=False, starting=True)

    def advance(self, source: str, count: int) -> None:
        self.count[source] = self.count.get(source, 0) + count
        if self.clock() - self.shown >= self.interval:
            self.shown = self.clock()
            self.show(source, final=False)

    def end(self, source: str) -> None:
        if source in self.started:
            self.show(source, final=True)
            del self.started[source]

    def line(self, source: str) -> str:
        elapsed = max(self.clock() - self.started[source], 1e-6)
        count = self.count[source]
        if self.unit.get(source) == "bytes":
            return (f"{source}: {self.phase[source]} — {count / 1024:.0f} КБ, "
                    f"{count / 1024 / elapsed:.0f} КБ/с, {elapsed:.1f} с")
        return (f"{source}: {self.phase[source]} — записей {count}, "
                f"{count / elapsed:.0f} зап./с, {elapsed:.1f} с")

    def show(self, source: str, final: bool, starting: bool = False) -> None:
        if starting:
            self.echo(f"{source}: {self.phase[source]}…")
        else:
            self.echo(self.line(source))


class TtyProgress(LineProgress):
    """One line per source rewritten in place (a terminal), ended with a newline."""

    def __init__(self, interval: float = 0.2, **kwargs):
        super().__init__(interval=interval, **kwargs)

    def show(self, source: str, final: bool, starting: bool = False) -> None:
        click.echo("\r\x1b[2K" + self.line(source), nl=final, err=True)


def for_terminal(enabled: bool = True, interval: float = 5.0) -> Progress:
    """The display that fits stderr: in place on a terminal, periodic lines otherwise."""
    if not enabled:
        return Progress()
    if sys.stderr.isatty():
        return TtyProgress()
    return LineProgress(interval=interval)
