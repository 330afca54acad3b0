"""The one per-app object, ``app.extensions["nko_openness"]``, and the one way to reach it.

It sits low in the tree so that the sanitizer, the migrations and the generator read the
app's state without importing the extension that wires everything together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy
from flask import Flask

from nko_openness.core.db import Database
from nko_openness.core.fragments import FragmentCache


@dataclass
class NkoState:
    """Everything the module keeps for one app (``app.extensions["nko_openness"]``)."""

    extension: Any  # the NkoOpenness that made it
    db: Database
    pm: pluggy.PluginManager
    config: dict[str, Any] = field(default_factory=dict)
    # Rendered fragments and derived public data, keyed by the versions of what they show, so
    # never stale (docs/caching.md); bounded by NKO_PAGE_CACHE_BYTES.
    cache: FragmentCache = field(default_factory=lambda: FragmentCache(0))

    @property
    def hook(self):
        return self.pm.hook


def get_state(app: Flask) -> NkoState:
    try:
        return app.extensions["nko_openness"]
    except KeyError:
        raise RuntimeError(
            "nko_openness is not initialised on this app: call NkoOpenness(app) first."
        ) from None
