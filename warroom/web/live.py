"""Live updates: each snapshot is computed once per refresh and fanned out to every open page that shares
the same effective permissions (200 open big screens must not mean 200 times the queries).

A topic is (what to compute, the viewer's policy key). The hub keeps, per topic, the subscribers' queues and
the last snapshot; a background task recomputes each topic that has subscribers every `interval` seconds, in
a worker thread (DuckDB queries block), and offers the result to every queue. A queue holds one item: a slow
reader skips to the newest snapshot instead of piling up old ones.

The hub counts its ticks, refreshes and the warehouse reads those refreshes made (`totals`, on /metrics):
queries per tick is the figure that shows whether viewers share (bench/fanout.py).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from warroom.warehouse import reads_in_this_thread

log = logging.getLogger(__name__)

Compute = Callable[[], dict[str, Any]]


@dataclass
class _Topic:
    compute: Compute
    queues: set[asyncio.Queue] = field(default_factory=set)
    last: dict[str, Any] | None = None
    computations: int = 0
    errors: int = 0
    first: asyncio.Lock = field(default_factory=asyncio.Lock)


class LiveHub:
    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._topics: dict[Hashable, _Topic] = {}
        self._task: asyncio.Task | None = None
        self.ticks = 0  # passes of the refresh loop
        self.refreshes = 0  # snapshots computed (one per topic per tick, plus a new topic's first)
        self.queries = 0  # warehouse reads those computations made

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def stats(self, key: Hashable) -> dict[str, int]:
        topic = self._topics.get(key)
        return {"subscribers": len(topic.queues), "computations": topic.computations} if topic else {}

    def totals(self) -> dict[str, int]:
        viewers = sum(len(t.queues) for t in self._topics.values())
        return {"ticks": self.ticks, "refreshes": self.refreshes, "queries": self.queries,
                "topics": len(self._topics), "viewers": viewers}  # fmt: skip

    async def subscribe(self, key: Hashable, compute: Compute) -> AsyncIterator[dict[str, Any]]:
        """Yield snapshots for `key`: the latest one at once (a reconnecting page catches up), then each new one."""
        topic = self._topics.setdefault(key, _Topic(compute))
        # The first viewers of a topic wait for one shared computation rather than each starting their own.
        async with topic.first:
            if topic.last is None:
                error = await self._refresh(topic)
                if error is not None and topic.last is None:
                    # Nothing to show yet and the computation fails (a viewer who may not see the board
                    # gets Forbidden): tell this subscriber now, instead of a stream that never speaks, and
                    # stop recomputing a topic nobody is watching.
                    if not topic.queues:
                        self._topics.pop(key, None)
                    raise error
        topic = self._topics.setdefault(key, topic)  # re-register if the last viewer left meanwhile
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        topic.queues.add(queue)
        try:
            if topic.last is not None:
                yield topic.last
            while True:
                yield await queue.get()
        finally:
            topic.queues.discard(queue)
            if not topic.queues:
                self._topics.pop(key, None)

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            for topic in list(self._topics.values()):
                await self._refresh(topic)
            self.ticks += 1
            await asyncio.sleep(max(0.05, self.interval - (time.monotonic() - started)))

    async def _refresh(self, topic: _Topic) -> Exception | None:
        try:
            snapshot, reads = await asyncio.to_thread(_counted, topic.compute)
        except Exception as exc:
            # Keep the last good snapshot on screen (pages show how stale it is); log, and try next tick.
            topic.errors += 1
            log.exception("live snapshot failed")
            return exc
        topic.computations += 1
        self.refreshes += 1
        self.queries += reads
        topic.last = snapshot
        for queue in list(topic.queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(snapshot)
        return None


def _counted(compute: Compute) -> tuple[dict[str, Any], int]:
    """The snapshot and the warehouse reads it took (counted in the worker thread that computed it)."""
    before = reads_in_this_thread()
    snapshot = compute()
    return snapshot, reads_in_this_thread() - before
