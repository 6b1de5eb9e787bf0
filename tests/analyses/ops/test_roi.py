"""Channel ROI: falling channels by hand, and the simulated ROI collapse found from the analysis alone."""

from datetime import datetime

import pytest

from tests.analyses.ops.conftest import SHANGHAI
from warroom.analyses.ops.roi import channel_roi, falling_channels
from warroom.ingest.bulk import ingest_parquet_dir
from warroom.simulate import simulate
from warroom.warehouse import Warehouse


def test_falling_by_hand():
    rows = [
        {"time": t, "channel": c, "gmv_paid": g, "spend": s}
        for t, c, g, s in [
            (1, "a", 100, 10), (2, "a", 100, 10), (3, "a", 100, 50),  # ROI 10 -> 2: falling
            (1, "b", 100, 10), (2, "b", 100, 10), (3, "b", 90, 10),  # ROI 10 -> 9: steady
        ]
    ]  # fmt: skip
    got = falling_channels(rows, recent=1, drop=0.6)
    assert [(f["channel"], f["roi_before"], f["roi_recent"]) for f in got] == [("a", 10.0, 2.0)]
    assert got[0]["change"] == pytest.approx(-0.8)
    assert falling_channels(rows, recent=3) == []  # no earlier buckets to compare with


@pytest.mark.slow
def test_the_roi_collapse_channel_is_flagged(tmp_path):
    # The small sale has about one ads_video order a day: too few for an hourly ROI. Two days at scale 1.
    out = tmp_path / "sim"
    simulate(
        out,
        scale=1,
        seed=11,
        start=datetime(2026, 11, 1, tzinfo=SHANGHAI),
        end=datetime(2026, 11, 3, tzinfo=SHANGHAI),
    )
    incident = next(
        i
        for i in __import__("json").loads((out / "incidents.json").read_text())
        if i["kind"] == "channel_roi"
    )
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        ingest_parquet_dir(wh, out)
        # The runaway bid runs 2 Nov 13:00-19:00; the last 6 hours of the day up to 19:00 hold it.
        got = channel_roi(
            wh,
            start=datetime(2026, 11, 2, tzinfo=SHANGHAI),
            end=datetime(2026, 11, 2, 19, tzinfo=SHANGHAI),
            recent=6,
        )
    assert got["falling"] and got["falling"][0]["channel"] == incident["touches"]["filters"]["channel_id"]
