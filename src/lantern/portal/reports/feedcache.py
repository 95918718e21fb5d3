"""Serialised ``GET /requests`` answers, reused while the reports they list are unchanged.

The default answer lists up to 1,000 requests: ~30 ms to load and serialise on SQLite, which at
100 readers a second is more than a core. Each answer is kept under its query, language, format,
the minute (the default 90-day window moves on with the clock) and the table's version — the
count, the newest id and the newest ``updated_at``, read with one aggregate query. Every change
to a report moves ``updated_at`` (or adds a row), so a changed table is never answered from here;
a short lifetime bounds any oddity such as a clock set back.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

LIFETIME_S = 30.0
SIZE = 128


class FeedCache:
    """A small LRU of response bodies with a lifetime; thread-safe (sync routes run in a pool)."""

    def __init__(self, size: int = SIZE, lifetime_s: float = LIFETIME_S) -> None:
        self._items: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.size, self.lifetime_s = size, lifetime_s
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > self.lifetime_s:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
