"""What the numbers were measured on: the report's machine description."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version


def _meminfo_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def postgres_version(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def describe(pg_url: str | None) -> dict:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": round(_meminfo_gib(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(pg_url),
        "packages": {name: version(name) for name in
                     ("flask", "sqlalchemy", "jinja2", "gunicorn", "datasette", "bleach", "nh3")},
        "load_average_start": load_average(),
    }
