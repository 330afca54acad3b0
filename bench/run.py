"""`make bench`: build the databases, measure everything, write the report.

    python -m bench.run [--scale 22000|national] [--backends sqlite,postgresql] [--fresh]

Every measurement is one function of this package, called here once per backend; a new
one (the harvester, say) is one more call and one more report section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from . import databases, feeds, harvest, http, machine, pages, report, sanitize
from .host import make_host

ROOT = Path(__file__).resolve().parents[1]
REPORTS = Path(__file__).resolve().parent / "reports"
DOC = ROOT / "docs" / "performance.md"
NATIONAL = 220_000
SMALL = 1_000
SNAPSHOT_REFERENCE = 22_000  # the national run compares the snapshot's memory with this scale
SEED = 1
# Over HTTP, the pages issue 7 names and the limit (in-process covers every page).
HTTP_PAGES = ("catalog", "catalog_deep", "organization", "category", "service", "search", "bare")


def _say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scale", default="22000",
                        help="organizations at full scale, or 'national' (220000)")
    parser.add_argument("--backends", default="auto",
                        help="sqlite,postgresql (default: PostgreSQL too when it answers)")
    parser.add_argument("--fresh", action="store_true", help="regenerate cached databases")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds per page")
    parser.add_argument("--urls", type=int, default=20, help="URLs per page kind")
    parser.add_argument("--http-seconds", type=int, default=2)
    parser.add_argument("--http-reps", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma list of parts to leave out: "
                        "pages,feed,snapshot,http,harvest,sanitizer")
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    return parser.parse_args(argv)


def prepare_backend(backend: str, scales: dict, fresh: bool) -> dict:
    """Every database one backend's measurements need, built or reused, smallest first."""
    labels = {str(scales["small"]), str(scales["full"]), *scales.get("snapshot", ())}
    return {label: databases.prepare(backend, int(label), SEED, fresh=fresh, say=_say)
            for label in sorted(labels, key=int)}


def prepare_all(backends: list[str], scales: dict, fresh: bool) -> dict:
    """The databases of all backends; two backends build side by side, one core each.

    Building is most of a fresh national run (about ten minutes of loading and as much of
    indexing per backend); the measurements that follow run one backend at a time.
    """
    if len(backends) < 2:
        return {b: prepare_backend(b, scales, fresh) for b in backends}
    # spawn: the children start clean, without the parent's engines or threads.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(backends), mp_context=spawn) as pool:
        futures = {b: pool.submit(prepare_backend, b, scales, fresh) for b in backends}
        return {b: future.result() for b, future in futures.items()}


def run_backend(backend: str, scales: dict[str, int], dbs: dict, args, say) -> dict:
    small, full = str(scales["small"]), str(scales["full"])
    result: dict = {"databases": {label: db.build for label, db in dbs.items()}}
    apps = {label: make_host(dbs[label].url) for label in (small, full)}
    sets = {label: pages.page_set(app, args.urls) for label, app in apps.items()}

    skip = set(args.skip.split(","))
    if "pages" not in skip:
        say(f"{backend}: pages in-process")
        measured = pages.measure(apps, sets, args.rounds, say)
        result["pages"] = {scale: {page: {"wall": r.wall.to_json(), "cpu": r.cpu.to_json(),
                                          "statements": r.statements, "errors": r.errors}
                                   for page, r in by_page.items()}
                           for scale, by_page in measured.items()}
    if "feed" not in skip and feeds.has_feed(apps[full]):
        result["feed"] = _guarded(say, "feed", lambda: measure_feed(dbs, apps, scales, args, say))
    if "http" not in skip and http.have_wrk():
        result["http"] = _guarded(say, "HTTP", lambda: measure_http(backend, dbs, sets, scales,
                                                                    args, say))
    if "harvest" not in skip and backend == "sqlite" and harvest.available():
        result["harvest"] = _guarded(say, "harvester", lambda: harvest.measure(
            dbs[full].url, databases.VAR / "harvest-replica.sqlite3",
            dbs[full].build.get("changes", 0), say))
    for app in apps.values():
        app.extensions["nko_openness"].db.engine.dispose()
    return result


def _guarded(say, name: str, measure) -> dict:
    """One part's results, or its error: a failing part must not lose the others."""
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001 - reported in the results, and the run goes on
        say(f"  {name} failed: {exc.__class__.__name__}: {exc}")
        return {"error": f"{exc.__class__.__name__}: {exc}"}


def measure_feed(dbs, apps, scales, args, say) -> dict:
    say("  changes feed: pages of 500 at the start and the end")
    feed_pages = feeds.measure_pages(apps, args.rounds)
    out = {"pages": {scale: {"total_changes": r.total_changes, "start": r.start.to_json(),
                             "end": r.end.to_json(), "start_cpu": r.start_cpu.to_json(),
                             "end_cpu": r.end_cpu.to_json(), "items": r.items}
                     for scale, r in feed_pages.items()}}
    say("  changes feed: a consumer following it")
    out["follow"] = feeds.follow(apps[str(scales["full"])])
    out["snapshot"] = {}
    for label in ([] if "snapshot" in args.skip.split(",") else scales["snapshot"]):
        say(f"  snapshot at {label}")
        out["snapshot"][label] = {mode: feeds.snapshot(dbs[label].url, mode)
                                  for mode in ("ours", "baseline")}
    return out


def measure_http(backend, dbs, sets, scales, args, say) -> dict:
    out = {}
    # Growth over HTTP once (SQLite); PostgreSQL over HTTP at full scale only, to keep
    # `make bench` within its 15 minutes (in-process covers both scales on both backends).
    labels = [str(scales["full"])] if backend != "sqlite" else [str(scales["small"]),
                                                                 str(scales["full"])]
    for label in labels:
        say(f"{backend}: over HTTP at {label}")
        with contextlib.ExitStack() as stack:
            base = stack.enter_context(http.gunicorn(dbs[label].url))
            targets = {page: (base, urls) for page, urls in sets[label].urls.items()
                       if page in HTTP_PAGES}
            peer = backend == "sqlite" and label == str(scales["full"])
            if peer:  # Datasette on the same file, measured in the same rounds as ours
                theirs = stack.enter_context(http.datasette(dbs[label].sqlite_path))
                paths = http.datasette_paths(dbs[label].sqlite_path, sets[label].org_ids,
                                             page_size=20)
                targets.update({f"datasette {page}": (theirs, p) for page, p in paths.items()})
            measured = http.measure(targets, args.http_seconds, args.http_reps, say)
        as_json = {page: {k: v.to_json() for k, v in r.items()} for page, r in measured.items()}
        out[label] = {p: r for p, r in as_json.items() if not p.startswith("datasette ")}
        if peer:
            out["datasette"] = {p.split(" ", 1)[1]: r for p, r in as_json.items()
                                if p.startswith("datasette ")}
    return out


def main(argv=None) -> int:
    args = parse(argv)
    started = time.monotonic()
    full = NATIONAL if args.scale == "national" else int(args.scale)
    snapshot_scales = (SNAPSHOT_REFERENCE, full) if full > SNAPSHOT_REFERENCE else (SMALL, full)
    scales = {"small": SMALL, "full": full, "snapshot": [str(s) for s in snapshot_scales]}
    if args.backends == "auto":
        backends = ["sqlite"] + (["postgresql"] if databases.postgres_answers() else [])
    else:
        backends = args.backends.split(",")
    pg_url = databases.pg_database_url() if "postgresql" in backends else None
    results = {"machine": machine.describe(pg_url), "scale": full, "small": SMALL,
               "rounds": args.rounds, "http_seconds": args.http_seconds,
               "http_reps": args.http_reps, "backends": {}}
    prepared = prepare_all(backends, scales, args.fresh)
    for backend in backends:
        results["backends"][backend] = run_backend(backend, scales, prepared[backend], args,
                                                   _say)
    if "sanitizer" not in args.skip.split(","):
        _say("sanitizer")
        results["sanitizer"] = {k: v.to_json()
                                for k, v in sanitize.measure(args.rounds).items()}
    results["machine"]["load_average_end"] = machine.load_average()
    results["seconds"] = round(time.monotonic() - started)
    write(results, args)
    return 0


def write(results: dict, args) -> None:
    REPORTS.mkdir(exist_ok=True)
    label = "national" if results["scale"] == NATIONAL else "default"
    stem = f"{label}-{results['scale']}"
    text = report.markdown(results)
    (REPORTS / f"{stem}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    (REPORTS / f"{stem}.md").write_text(text)
    if not args.no_doc:
        report.update_doc(DOC, label, text)
    _say(f"report: {REPORTS / (stem + '.md')}" + ("" if args.no_doc else f" and {DOC}"))
    failed = [t for t in report.targets(results) if not t["pass"]]
    _say(f"targets: {len(report.targets(results)) - len(failed)} met, {len(failed)} not met")
    for t in failed:
        _say(f"  not met: {t['target']} ({t['backend']}): {t['text']}, limit {t['limit']}")


if __name__ == "__main__":
    raise SystemExit(main())
