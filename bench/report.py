"""The Markdown report: machine, databases, targets with pass/fail, and every measurement."""

from __future__ import annotations

import re
from pathlib import Path

GROWTH_LIMIT = 1.5
SEARCH_GROWTH_LIMIT = 3.0
LIMIT_RATIO = 5.0
SNAPSHOT_RSS_MB = 200
SNAPSHOT_RSS_GROWTH = 1.2
SNAPSHOT_THROUGHPUT = 1 / 3
PAGE_LABELS = {
    "catalog": "catalog, first page", "catalog_deep": "catalog, middle page",
    "organization": "organization (page cache warm)",
    "organization_cold": "organization (page cache emptied)",
    "service": "service", "project": "project",
    "category": "beneficiary category", "categories": "all categories (counts cached)",
    "categories_cold": "all categories (counts after a change)",
    "search": "search", "bare": "limit: bare Flask, one SELECT",
}


def _n(value) -> str:
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else str(value)


def _s(sample: dict | None, digits: int | None = None) -> str:
    if not sample or not sample.get("values"):
        return "—"
    m, lo, hi = sample["median"], sample["min"], sample["max"]
    d = digits if digits is not None else (0 if m >= 100 else 1 if m >= 10 else 2)
    return f"{m:.{d}f} ({lo:.{d}f}–{hi:.{d}f})"


def _ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or not b.get("median"):
        return None
    return a["median"] / b["median"]


def targets(results: dict) -> list[dict]:
    """Every target of issue 7 that this run measured, with its value and verdict."""
    rows = []
    small, full = str(results["small"]), str(results["scale"])

    def add(name, backend, value, limit, ok, text):
        rows.append({"target": name, "backend": backend, "value": value, "limit": limit,
                     "pass": ok, "text": text})

    for backend, r in results["backends"].items():
        pages = r.get("pages", {})
        cost = cost_measure(backend)
        for page, by_scale in _by_page(pages).items():
            if page == "bare" or small not in by_scale or full not in by_scale:
                continue
            growth = _ratio(by_scale[full][cost], by_scale[small][cost])
            limit = SEARCH_GROWTH_LIMIT if page == "search" else GROWTH_LIMIT
            if growth is not None:
                add(f"growth ({cost}): {PAGE_LABELS.get(page, page)}, {small}→{full}", backend,
                    growth, limit, growth <= limit, f"{growth:.2f}×")
            counts = (by_scale[small]["statements"], by_scale[full]["statements"])
            add(f"SQL statements flat: {PAGE_LABELS.get(page, page)}", backend,
                counts[1], counts[0], counts[1] <= counts[0], f"{counts[0]} → {counts[1]}")
        feed = r.get("feed", {}).get("pages", {})
        if small in feed and full in feed:
            for end in ("start", "end"):
                _feed_target(feed[small], feed[full], end, cost, f"{small}→{full}", backend, add)
        full_pages = pages.get(full, {})
        if "organization" in full_pages and "bare" in full_pages:
            ratio = _ratio(full_pages["organization"][cost], full_pages["bare"][cost])
            add(f"organization page / bare-Flask limit ({cost})", backend, ratio, LIMIT_RATIO,
                ratio <= LIMIT_RATIO, f"{ratio:.1f}×")
        peer = r.get("http", {}).get("datasette")
        ours = r.get("http", {}).get(full, {})
        for page, their in (("organization", "row"), ("catalog", "table")):
            if not peer or page not in ours or their not in peer:
                continue
            # Decided on requests per CPU-second of each server: what one worker serves
            # on a core of its own; wrk's requests per second, under a loaded machine, beside.
            a, b = ours[page], peer[their]
            ratio = _ratio(a.get("per_cpu_s"), b.get("per_cpu_s"))
            raw = _ratio(a.get("rps"), b.get("rps"))
            if ratio is not None:
                add(f"req/s: {PAGE_LABELS[page]} / Datasette {their} page", backend, ratio, 1.0,
                    ratio >= 1.0,
                    f"{ratio:.2f}× per CPU-second ({a['per_cpu_s']['median']:.0f} vs "
                    f"{b['per_cpu_s']['median']:.0f}); wrk {raw:.2f}× "
                    f"({a['rps']['median']:.1f} vs {b['rps']['median']:.1f} req/s)")
        _snapshot_targets(r.get("feed", {}).get("snapshot", {}), backend, add)
    return rows


def _feed_target(small: dict, full: dict, end: str, cost: str, scales: str, backend: str,
                 add) -> None:
    """A page of 500 changes holds one item per entity: at 1,000 organizations more of its
    rows are edits of the same record (the history is denser), so a page at full scale
    carries more items. The target compares the cost per item; the page's growth is shown."""
    key = f"{end}_cpu" if cost == "cpu" and f"{end}_cpu" in small else end
    measured = "cpu" if key.endswith("_cpu") else "wall"
    page = _ratio(full[key], small[key])
    items = (small.get("items", {}).get(end), full.get("items", {}).get(end))
    if page is None or not all(items):
        return
    per_item = page * items[0] / items[1]
    add(f"growth ({measured}): changes page of 500 at the {end}, per item, {scales}", backend,
        per_item, GROWTH_LIMIT, per_item <= GROWTH_LIMIT,
        f"{per_item:.2f}× (the page {page:.2f}×, items {items[0]} → {items[1]})")


def cost_measure(backend: str) -> str:
    """What the in-process targets compare: CPU time where it is the whole cost.

    With SQLite the database works inside the process, so process CPU time is the full
    cost of a page, and it barely moves when other programs load the machine; wall time
    does. PostgreSQL works in another process, so there the wall time is compared.
    """
    return "cpu" if backend == "sqlite" else "wall"


def _snapshot_targets(snap: dict, backend: str, add) -> None:
    scales = sorted((int(s) for s in snap), key=int)
    if not scales:
        return
    top = str(scales[-1])
    ours, base = snap[top]["ours"], snap[top]["baseline"]
    if top == "220000":
        add("snapshot peak RSS at 220,000", backend, ours["peak_rss_mb"], SNAPSHOT_RSS_MB,
            ours["peak_rss_mb"] < SNAPSHOT_RSS_MB, f"{ours['peak_rss_mb']:.0f} MB")
    if len(scales) > 1:
        low = snap[str(scales[0])]["ours"]["peak_rss_mb"]
        growth = ours["peak_rss_mb"] / low
        add(f"snapshot RSS {scales[-1]} / {scales[0]}", backend, growth, SNAPSHOT_RSS_GROWTH,
            growth <= SNAPSHOT_RSS_GROWTH, f"{growth:.2f}× ({low:.0f} → "
                                            f"{ours['peak_rss_mb']:.0f} MB)")
    share = ours["items_per_s"] / base["items_per_s"]
    add(f"snapshot items/s / plain dump ({top})", backend, share, SNAPSHOT_THROUGHPUT,
        share >= SNAPSHOT_THROUGHPUT, f"{share:.2f} ({ours['items_per_s']} vs "
                                      f"{base['items_per_s']} items/s)")


def _by_page(pages: dict) -> dict:
    out: dict = {}
    for scale, by_page in pages.items():
        for page, result in by_page.items():
            out.setdefault(page, {})[scale] = result
    return out


def markdown(results: dict) -> str:
    m = results["machine"]
    small, full = str(results["small"]), str(results["scale"])
    out = [
        f"### Scale {_n(results['scale'])} organizations — {m['date']}, commit {m['commit']}",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'not running'}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + f". Load average (1/5/15 min) {m['load_average_start']} at the start, "
        f"{m.get('load_average_end', '?')} at the end; the run took "
        f"{results.get('seconds', 0) / 60:.1f} min.",
        *(line for note in results.get("notes", ()) for line in ("", note)),
        "",
        "#### Targets",
        "",
        "| target | backend | value | limit | met |",
        "|---|---|---|---|---|",
    ]
    for t in targets(results):
        limit = t["limit"]
        limit = f"{limit:.2f}" if isinstance(limit, float) else str(limit)
        out.append(f"| {t['target']} | {t['backend']} | {t['text']} | {limit} | "
                   f"{'yes' if t['pass'] else '**no**'} |")
    for backend, r in results["backends"].items():
        out += _backend_section(backend, r, small, full, results)
    if results.get("sanitizer"):
        out += ["", "#### Sanitizer (ms per document, median (min–max))", "",
                "| document | bleach | nh3 | bleach / nh3 |", "|---|---|---|---|"]
        san = results["sanitizer"]
        for size in ("10 KB", "100 KB"):
            b, n = san.get(f"{size} bleach"), san.get(f"{size} nh3")
            out.append(f"| {size} | {_s(b)} | {_s(n)} | {_ratio(b, n):.0f}× |")
    return "\n".join(out) + "\n"


def _backend_section(backend, r, small, full, results) -> list[str]:
    out = ["", f"#### {backend}", "", "Databases:", "",
           "| organizations | generate, s | organizations / services / projects | revisions | "
           "changes | search index, s | file, MB |", "|---|---|---|---|---|---|---|"]
    for scale, b in sorted(r.get("databases", {}).items(), key=lambda kv: int(kv[0])):
        reused = " (cached)" if b.get("reused") else ""
        out.append(
            f"| {_n(int(scale))} | {b.get('generate_seconds', '—')}{reused} | "
            f"{_n(b.get('organizations', 0))} / {_n(b.get('services', 0))} / "
            f"{_n(b.get('projects', 0))} | {_n(b.get('revisions', 0))} | "
            f"{_n(b.get('changes', 0))} | {b.get('search_index_seconds', '—')} | "
            f"{b.get('file_mb', '—')} |")
    pages = _by_page(r.get("pages", {}))
    if pages:
        cost = cost_measure(backend)
        out += ["", f"In-process (Flask test client), ms per request, median (min–max) of "
                    f"{results['rounds']} rounds; growth compares {cost} time; "
                    f"SQL = statements per request:", "",
                f"| page | wall {_n(int(small))} | wall {_n(int(full))} | CPU {_n(int(small))} "
                f"| CPU {_n(int(full))} | growth | SQL |", "|---|---|---|---|---|---|---|"]
        for page, by_scale in pages.items():
            a, b = by_scale.get(small, {}), by_scale.get(full, {})
            growth = _ratio(b.get(cost), a.get(cost))
            errors = "; ".join(a.get("errors", []) + b.get("errors", []))
            out.append(f"| {PAGE_LABELS.get(page, page)} | {_s(a.get('wall'))} | "
                       f"{_s(b.get('wall'))} | {_s(a.get('cpu'))} | {_s(b.get('cpu'))} | "
                       f"{f'{growth:.2f}×' if growth else '—'} | "
                       f"{a.get('statements', '—')} / {b.get('statements', '—')}"
                       f"{' ⚠ ' + errors if errors else ''} |")
    http = r.get("http", {})
    if http and "error" not in http:
        out += ["", f"Over HTTP: gunicorn, 1 sync worker, and Datasette, one process; wrk -t1 -c4, "
                    f"runs of at least {results['http_seconds']} s × {results['http_reps']}. "
                    f"Requests per second as wrk saw them, and per CPU-second of the server "
                    f"process; median (min–max):", "",
                f"| page | req/s {_n(int(small))} | req/CPU-s {_n(int(small))} | "
                f"req/s {_n(int(full))} | req/CPU-s {_n(int(full))} |",
                "|---|---|---|---|---|"]
        rows = [(PAGE_LABELS.get(p, p), http.get(small, {}).get(p, {}), r_full)
                for p, r_full in http.get(full, {}).items()]
        rows += [(label, {}, http["datasette"][p]) for p, label in
                 (("row", "Datasette: row page"), ("table", "Datasette: table page (_size=20)"))
                 if p in http.get("datasette", {})]
        for label, a, b in rows:
            out.append(f"| {label} | {_s(a.get('rps'))} | {_s(a.get('per_cpu_s'))} | "
                       f"{_s(b.get('rps'))} | {_s(b.get('per_cpu_s'))} |")
    out += _feed_section(r.get("feed", {}), small, full)
    for part in ("feed", "http", "harvest"):
        if isinstance(r.get(part), dict) and "error" in r[part]:
            out += ["", f"**{part}: not measured** — {r[part]['error']}"]
    if r.get("harvest") and "error" not in r["harvest"]:
        h = r["harvest"]
        out += ["", f"Harvester (`nko-openness harvest`, SQLite replica) against this site under "
                    f"gunicorn at {_n(int(full))}: catching up {_n(h['changes'])} changes "
                    f"({_n(h['applied'])} items applied) in {h['catch_up_seconds']} s "
                    f"({_n(h['changes_per_s'])} changes/s)."]
    return out


def _feed_section(feed: dict, small: str, full: str) -> list[str]:
    out = []
    if feed.get("pages"):
        out += ["", "Changes feed, a page of 500, ms of wall and of process CPU time "
                    "(median (min–max)):", "",
                "| scale | changes in all | start, wall | start, CPU | items | end, wall | "
                "end, CPU | items |",
                "|---|---|---|---|---|---|---|---|"]
        for scale, p in feed["pages"].items():
            items = p.get("items", {})
            out.append(f"| {_n(int(scale))} | {_n(p['total_changes'])} | {_s(p['start'])} | "
                       f"{_s(p.get('start_cpu'))} | {items.get('start', '—')} | "
                       f"{_s(p['end'])} | {_s(p.get('end_cpu'))} | {items.get('end', '—')} |")
    if feed.get("follow"):
        f = feed["follow"]
        out += ["", f"A consumer following the feed from the start ({_n(f['changes'])} changes, "
                    f"{f['pages']} pages): {f['seconds']} s, {_n(f['changes_per_s'])} "
                    f"changes/s, {_n(f['items_per_s'])} items/s."]
    if feed.get("snapshot"):
        out += ["", "Snapshot (snapshot.ndjson) vs a plain dump (SELECT + json.dumps):", "",
                "| scale | how | items | MB | s | items/s | peak RSS, MB |",
                "|---|---|---|---|---|---|---|"]
        for scale, modes in feed["snapshot"].items():
            for mode, s in modes.items():
                out.append(f"| {_n(int(scale))} | {mode} | {_n(s['items'])} | {s['mb']} | "
                           f"{s['seconds']} | {_n(s['items_per_s'])} | {s['peak_rss_mb']} |")
    return out


def update_doc(doc: Path, label: str, text: str) -> None:
    """Replace the block between ``<!-- bench:label -->`` markers (append it if missing)."""
    start, end = f"<!-- bench:{label} -->", f"<!-- /bench:{label} -->"
    block = f"{start}\n{text}{end}"
    content = doc.read_text() if doc.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    content = (pattern.sub(lambda _m: block, content) if pattern.search(content)
               else content.rstrip() + "\n\n" + block + "\n")
    doc.write_text(content)
