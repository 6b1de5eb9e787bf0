"""Segments and churn on the simulated sale against hand-written SQL."""

from datetime import datetime

from tests.analyses.ops.conftest import SHANGHAI, sql
from warroom.analyses.ops.retention import churn
from warroom.analyses.ops.segments import segments

END = datetime(2026, 11, 12, tzinfo=SHANGHAI)


def test_rfm_inputs_and_buyer_mix_against_sql(ops_wh):
    got = segments(ops_wh, window_start=datetime(2026, 11, 11, tzinfo=SHANGHAI), end=END, tz=SHANGHAI)
    per = sql(
        ops_wh,
        """SELECT customer_id, count(*), sum(paid_amount),
                  date_diff('day', max((paid_at + INTERVAL 8 HOUR)::DATE), DATE '2026-11-11')
           FROM orders WHERE paid_at IS NOT NULL GROUP BY 1""",
    )
    rows = {r["customer_id"]: r for r in got["customers"].to_pylist()}
    assert {c: (r["frequency"], r["monetary"], r["recency_days"]) for c, r in rows.items()} == {
        c: (n, m, d) for c, n, m, d in per
    }
    assert sum(s["customers"] for s in got["sizes"]) == len(per)
    (new,) = sql(
        ops_wh,
        """WITH d AS (SELECT customer_id, min((paid_at + INTERVAL 8 HOUR)::DATE) AS first FROM orders
                      WHERE paid_at IS NOT NULL GROUP BY 1) SELECT count(*) FROM d WHERE first = DATE '2026-11-11'""",
    )[0]
    assert got["buyer_mix"]["new"] == new


def test_repurchase_against_sql(ops_wh):
    got = churn(ops_wh, end=END, tz=SHANGHAI)
    customers, repeat = sql(
        ops_wh,
        """WITH d AS (SELECT customer_id, count(DISTINCT (paid_at + INTERVAL 8 HOUR)::DATE) AS days FROM orders
                      WHERE paid_at IS NOT NULL GROUP BY 1) SELECT count(*), count(*) FILTER (days >= 2) FROM d""",
    )[0]
    assert (got["repurchase"]["customers"], got["repurchase"]["repeat_customers"]) == (customers, repeat)
    assert got["customers"].num_rows == customers
