"""Repeated measurements: median and min–max, and how the report prints them."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Sample:
    """Repeated values of one quantity (the report shows median and min–max)."""

    values: list[float] = field(default_factory=list)
    unit: str = "ms"

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    def text(self, digits: int | None = None) -> str:
        if not self.values:
            return "—"
        d = digits if digits is not None else _digits(self.median)
        return f"{self.median:.{d}f} ({self.low:.{d}f}–{self.high:.{d}f}) {self.unit}"

    def to_json(self) -> dict:
        return {"unit": self.unit, "median": self.median, "min": self.low, "max": self.high,
                "values": self.values}


def _digits(value: float) -> int:
    if value >= 100:
        return 0
    if value >= 10:
        return 1
    return 2


def ratio(a: Sample, b: Sample) -> float:
    return a.median / b.median if b.values and b.median else float("nan")


def per_call_ms(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """Wall and CPU milliseconds per call of ``fn``, averaged over ``calls`` calls.

    As ``timeit`` does, the garbage collector is off while the calls are timed: its pauses
    depend on everything the benchmark process holds (both scales' apps, the results so
    far), not on the page, and they made one sample in three of a changes page 50 % slower.
    """
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        return ((time.perf_counter() - wall) * 1000 / calls,
                (time.process_time() - cpu) * 1000 / calls)
    finally:
        if enabled:
            gc.enable()
