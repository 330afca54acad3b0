"""Over HTTP: the module under gunicorn (one sync worker) and Datasette (one process), both by wrk.

Both servers get the same wrk settings and rotate through the same organizations, so the
requests per second compare the two stacks on the same rows of the same SQLite file.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from .stats import Sample

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WRK_THREADS = 1
WRK_CONNECTIONS = 4


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start in {timeout} s")


class Server(str):
    """A server's base URL that also knows its process, to read the CPU time it used."""

    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process and its live children (gunicorn's worker)."""
        total, pending = 0.0, [self.pid]
        while pending:
            pid = pending.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@contextlib.contextmanager
def _server(args: list[str], port: int, env: dict | None = None) -> Iterator[Server]:
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(port, process)
        server = Server(f"http://127.0.0.1:{port}")
        server.pid = process.pid
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def gunicorn(url: str) -> contextlib.AbstractContextManager[Server]:
    """The module in the benchmark host, one sync worker (as a small municipality runs it)."""
    port = _free_port()
    # A long timeout: the default 30 s kills the worker in the middle of a national snapshot.
    return _server([str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                    "--timeout", "600", "--log-level", "warning", "bench.host:wsgi_app()"], port,
                   env={"NKO_DATABASE_URL": url})


def datasette(sqlite_path: Path) -> contextlib.AbstractContextManager[Server]:
    """Datasette as installed, serving the same SQLite file (one process, its defaults)."""
    port = _free_port()
    return _server([str(BIN / "datasette"), "serve", str(sqlite_path), "--host", "127.0.0.1",
                    "--port", str(port)], port)


def datasette_paths(sqlite_path: Path, org_ids: list[int], page_size: int) -> dict:
    db = sqlite_path.stem
    return {"row": [f"/{db}/nko_organization/{i}" for i in org_ids],
            "table": [f"/{db}/nko_organization?_size={page_size}"]}


_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk(base: str, paths: list[str], seconds: int) -> tuple[float, int, int]:
    """Requests per second for ``paths`` in rotation, requests done, non-2xx answers."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % ", ".join(f'"{p}"' for p in paths))
    try:
        done = subprocess.run(
            ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s",
             f"--timeout={max(10, seconds * 2)}s", "-s", script.name, base],
            capture_output=True, text=True)
    finally:
        os.unlink(script.name)
    out = done.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode or not found:
        raise RuntimeError(f"wrk failed on {base}{paths[0]}: {done.stderr or out}")
    rps = float(found.group(1))
    done_count = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, done_count, int(bad.group(1)) if bad else 0


def _warm(base: str, paths: list[str]) -> float:
    """Seconds per request, one path after another.

    A cold first request (imports, templates) must not leave a queue behind it that the
    timed run would then have to drain; the second pass times a request for ``measure``.
    """
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=300) as response:
            response.read()
    started = time.perf_counter()
    for path in paths[:5]:
        with urllib.request.urlopen(base + path, timeout=300) as response:
            response.read()
    return (time.perf_counter() - started) / len(paths[:5])


def measure(targets: dict[str, tuple[Server, list[str]]], seconds: int, reps: int,
            say) -> dict[str, dict[str, Sample]]:
    """{name: {"rps": …, "per_cpu_s": …}} for {name: (server, paths)}, over ``reps`` runs.

    ``rps`` is what wrk saw; ``per_cpu_s`` is requests per CPU-second of the server process,
    what one worker would serve on a core of its own, whatever else runs on the machine.
    Every target is warmed up first; then each repetition runs every target once, so a
    neighbour's burst of load hits all of them alike, ours and Datasette's.
    """
    durations, results = {}, {}
    for name, (server, paths) in targets.items():
        # Slow pages get longer runs: each should complete at least ~20 requests.
        durations[name] = max(seconds, math.ceil(_warm(server, paths) * 20))
        results[name] = {"rps": Sample(unit="req/s"), "per_cpu_s": Sample(unit="req/CPU-s")}
    for _ in range(reps):
        for name, (server, paths) in targets.items():
            cpu = server.cpu_seconds()
            rps, count, bad = wrk(server, paths, durations[name])
            if bad:
                raise RuntimeError(f"{name}: {bad} error responses from {server}")
            used = server.cpu_seconds() - cpu
            results[name]["rps"].values.append(rps)
            if used > 0:
                results[name]["per_cpu_s"].values.append(count / used)
    for name, r in results.items():
        say(f"  {name}: {r['rps'].text()}, {r['per_cpu_s'].text()}")
    return results
