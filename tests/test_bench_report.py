"""The benchmark report's verdicts (bench/report.py), on hand-made results."""

from __future__ import annotations

import gc

import pytest

from bench import report
from bench.stats import per_call_ms


def _sample(median: float) -> dict:
    return {"unit": "ms", "median": median, "min": median, "max": median, "values": [median]}


def _results(backend: str, small: dict, full: dict) -> dict:
    return {"small": 1000, "scale": 220000,
            "backends": {backend: {"feed": {"pages": {"1000": small, "220000": full}}}}}


def _page(wall: float, cpu: float, items: int) -> dict:
    return {"total_changes": 1, "start": _sample(wall), "end": _sample(wall),
            "start_cpu": _sample(cpu), "end_cpu": _sample(cpu),
            "items": {"start": items, "end": items}}


def _feed_rows(results: dict) -> list[dict]:
    return [row for row in report.targets(results) if "changes page" in row["target"]]


def test_feed_growth_is_judged_per_item_on_cpu_time_for_sqlite():
    # The page costs 1.6x, but carries 1.4x the items: 1.14x per item, within 1.5x.
    rows = _feed_rows(_results("sqlite", _page(50, 40, 350), _page(90, 64, 490)))
    assert [row["pass"] for row in rows] == [True, True]
    assert rows[0]["value"] == pytest.approx(64 / 40 * 350 / 490)
    assert "(cpu)" in rows[0]["target"] and "the page 1.60×" in rows[0]["text"]


def test_feed_growth_per_item_fails_when_each_item_costs_more():
    rows = _feed_rows(_results("postgresql", _page(50, 5, 400), _page(90, 5, 400)))
    assert [row["pass"] for row in rows] == [False, False]
    assert rows[0]["value"] == pytest.approx(1.8)
    assert "(wall)" in rows[0]["target"]


def test_feed_section_prints_wall_and_cpu():
    lines = report._feed_section({"pages": {"1000": _page(50, 40, 350)}}, "1000", "220000")
    assert any("| 1 000 | 1 | 50.0 (50.0–50.0) | 40.0 (40.0–40.0) | 350 |" in line
               for line in lines)


def test_per_call_ms_times_with_the_collector_off_and_restores_it():
    seen = []
    per_call_ms(lambda: seen.append(gc.isenabled()), 2)
    assert seen == [False, False] and gc.isenabled()
