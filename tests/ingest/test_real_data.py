"""The shipped example mappings load the real public files; figures checked against the course's published
results and against hand-written queries over the loaded table."""

import csv
from datetime import UTC, datetime
from pathlib import Path

from warroom.ingest.files import ingest_file
from warroom.ingest.mapping import load_mapping

MAPPINGS = Path(__file__).parents[2] / "examples" / "mappings"


def test_tmall_log_gives_the_published_358_customers_and_buyers(warehouse, shared_data):
    result = ingest_file(
        warehouse,
        shared_data / "tmall_double11_user_log" / "small_user_log.csv",
        "events",
        load_mapping(MAPPINGS / "tmall_user_log.yaml"),
    )
    assert (result.report.received, result.report.accepted, result.report.rejected) == (10_000, 10_000, 0)
    con = warehouse.cursor()
    customers, buyers, rows = con.execute(
        """SELECT count(DISTINCT customer_id), count(DISTINCT customer_id) FILTER (WHERE event_type = 'pay'),
                  count(*)
           FROM events"""
    ).fetchall()[0]
    assert (customers, buyers, rows) == (358, 358, 10_000)
    # every event is 11 November 2015, midnight in China
    assert con.execute("SELECT DISTINCT epoch(ts)::BIGINT FROM events").fetchall() == [
        (int(datetime(2015, 11, 10, 16, tzinfo=UTC).timestamp()),)
    ]


def test_taobao_head_matches_an_independent_count(warehouse, shared_data):
    path = shared_data / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    result = ingest_file(warehouse, path, "events", load_mapping(MAPPINGS / "taobao_user_behavior.yaml"))
    with path.open(newline="") as f:
        lines = list(csv.reader(f))
    by_kind = {}
    for _user, _item, _cat, behavior, _ts in lines:
        by_kind[behavior] = by_kind.get(behavior, 0) + 1
    expected = {
        "view": by_kind["pv"],
        "cart": by_kind["cart"],
        "favorite": by_kind["fav"],
        "pay": by_kind["buy"],
    }
    assert result.report.accepted == len(lines) == 4_321
    con = warehouse.cursor()
    assert dict(con.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall()) == expected
    first = min(int(line[4]) for line in lines)
    assert con.execute("SELECT min(epoch(ts))::BIGINT FROM events").fetchall() == [(first,)]
    assert con.execute("SELECT count(DISTINCT customer_id) FROM events").fetchall() == [(43,)]
