"""A bounded cache of rendered page fragments and derived public data (docs/caching.md)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import LRUCache

_MISSING = object()


def _weight(value: Any) -> int:
    # Strings dominate (rendered HTML); containers are counted shallowly, which is close
    # enough for the small dicts of counts kept here.
    return sys.getsizeof(value)


class FragmentCache:
    """An LRU cache bounded in bytes, safe across threads; size 0 switches it off.

    Keys carry every version the value depends on (the outbox high-water mark, the locale,
    …), so an entry is never invalidated: a newer version simply asks for another key, and
    the old entry ages out of the LRU.
    """

    def __init__(self, max_bytes: int):
        self._lru = LRUCache(maxsize=max_bytes, getsizeof=_weight) if max_bytes > 0 else None
        # cachetools caches are not thread-safe; a gthread worker renders pages in parallel.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._lru is not None

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value for ``key``, or ``make()``'s result, kept for the next caller."""
        if self._lru is None:
            return make()
        with self._lock:
            value = self._lru.get(key, _MISSING)
        if value is _MISSING:
            # Made outside the lock: two threads may both make it once, never wait on each other.
            value = make()
            with self._lock:
                try:
                    self._lru[key] = value
                except ValueError:  # larger than the whole cache: serve it, keep nothing
                    pass
        return value

    def clear(self) -> None:
        if self._lru is not None:
            with self._lock:
                self._lru.clear()

    def __len__(self) -> int:
        return 0 if self._lru is None else len(self._lru)

    @property
    def current_bytes(self) -> int:
        return 0 if self._lru is None else self._lru.currsize
