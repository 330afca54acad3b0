"""The Nu HTML Checker finds no error in any page type, in any look, nor in the stylesheets."""

from __future__ import annotations

import json
import subprocess

import pytest

from .pages import MODES, PAGE_TYPES
from .support import ROOT, VNU_JAR, java_and_vnu

pytestmark = pytest.mark.browser

STYLESHEETS = [ROOT / "nko_openness/static/nko_openness.css",
               ROOT / "nko_openness/static/nko_a11y.css",
               ROOT / "examples/host_site/static/site.css"]


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_every_page_is_valid_html(site, tmp_path):
    java = java_and_vnu()
    files = []
    for page in PAGE_TYPES:
        if (page.needs_endpoint and not site.has_endpoint(page.needs_endpoint)) or (
                "vnu" in page.pending):
            continue
        for mode in MODES:
            response = site.client(page, mode).get(site.path_of(page))
            assert response.status_code == page.status, (page.name, mode)
            path = tmp_path / f"{page.name}--{mode}.html"
            path.write_bytes(response.data)
            files.append(path)
    # One Java start for everything: the checker's start-up dominates its run time.
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always",
         "--also-check-css", *map(str, files), *map(str, STYLESHEETS)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    messages = json.loads(run.stderr)["messages"]
    errors = [f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
              for m in messages if m["type"] in ("error", "non-document-error")]
    assert not errors, "\n".join(errors[:40])
    assert len(files) >= 40
