"""The live hub computes a topic once per refresh, however many pages watch it."""

import asyncio
import itertools

from warroom.web.live import LiveHub


def test_two_hundred_subscribers_share_one_computation_per_tick(run_async):
    counter = itertools.count(1)
    calls = []

    def compute():
        n = next(counter)
        calls.append(n)
        return {"n": n}

    async def scenario():
        hub = LiveHub(interval=0.05)
        received: list[list[int]] = [[] for _ in range(200)]

        async def viewer(i):
            async for snap in hub.subscribe(("overview", "ops-policy"), compute):
                received[i].append(snap["n"])
                if len(received[i]) == 3:
                    return

        await hub.start()
        await asyncio.wait_for(asyncio.gather(*(viewer(i) for i in range(200))), timeout=10)
        await hub.stop()
        return received

    received = run_async(scenario())
    # Every viewer saw 3 snapshots, all drawn from the same handful of computations.
    assert all(len(r) == 3 for r in received)
    assert len(calls) <= 6, f"{len(calls)} computations for 200 viewers over 3 refreshes"
    assert {n for r in received for n in r} <= set(calls)


def test_topics_with_different_policies_are_computed_separately(run_async):
    seen = []

    async def scenario():
        hub = LiveHub(interval=0.05)

        async def first(key):
            async for snap in hub.subscribe(key, lambda: {"key": key}):
                seen.append(snap["key"])
                return

        await first(("overview", "finance"))
        await first(("overview", "ops"))

    run_async(scenario())
    assert seen == [("overview", "finance"), ("overview", "ops")]


def test_failed_refresh_keeps_last_good_snapshot(run_async):
    outcomes = iter([{"v": 1}, RuntimeError("warehouse busy"), {"v": 3}])

    def compute():
        item = next(outcomes)
        if isinstance(item, Exception):
            raise item
        return item

    async def scenario():
        hub = LiveHub(interval=0.02)
        got = []
        await hub.start()
        async for snap in hub.subscribe("t", compute):
            got.append(snap["v"])
            if len(got) == 2:
                break
        await hub.stop()
        return got

    assert run_async(scenario()) == [1, 3]
