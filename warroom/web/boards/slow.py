"""Panels that change slowly and cost far more than the live ones: computed again only when due.

A due computation is one whose room clock has moved `refresh` past the last one, and at least `min_wall` real
seconds after it (a replay at 60x would otherwise recompute every few seconds). Kept per warehouse, viewer
policy and whatever else the panel's answer depends on (`key`), for the last CACHE_SIZE of them. A request
that asks for every statement to run (`fresh`, to show a panel's SQL) skips the cache.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from threading import Lock
from typing import Any

from warroom.web.boards.board import BoardRequest

CACHE_SIZE = 32


class Slow:
    def __init__(
        self,
        compute: Callable[[BoardRequest], Any],
        refresh: timedelta,
        min_wall: float,
        key: Callable[[BoardRequest], Hashable] = lambda req: (),
    ) -> None:
        self.compute, self.refresh, self.min_wall, self.key = compute, refresh, min_wall, key
        self._cache: OrderedDict[tuple, tuple] = OrderedDict()  # key -> (room time, wall time, value)
        self._lock = Lock()

    def __call__(self, req: BoardRequest) -> Any:
        if req.fresh:
            return self.compute(req)
        key = (id(req.warehouse), repr(req.principal), self.key(req))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            room, wall, value = cached
            moved = req.now - room
            if timedelta(0) <= moved < self.refresh or time.monotonic() - wall < self.min_wall:
                return value
        value = self.compute(req)
        with self._lock:
            self._cache[key] = (req.now, time.monotonic(), value)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value
