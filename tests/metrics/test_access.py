"""The access hook with hand-made policies: forbidden metrics, row filters ANDed in, masked PII."""

from decimal import Decimal

import pytest

from tests.metrics.conftest import SHANGHAI
from tests.metrics.data import DAY_END, DAY_START
from warroom.errors import UserError
from warroom.metrics import Filter, Forbidden, MetricQuery, Principal, dataset, run_query

DAY = dict(time_from=DAY_START, time_to=DAY_END)
OPS = Principal("ops_user", allowed_sensitivities={"public"})
FINANCE = Principal("fin", allowed_sensitivities={"public", "finance"})
WOMENSWEAR = Principal(
    "cat_mgr", {"public", "finance"}, row_filters=[Filter(dimension="category_l1", op="in", value=["女装"])]
)


def test_a_finance_metric_is_forbidden_to_ops(sale):
    with pytest.raises(Forbidden) as err:
        run_query(sale, MetricQuery(metrics=["gmv_paid", "gross_margin"], **DAY), OPS, tz=SHANGHAI)
    assert err.value.status_code == 403
    assert "'ops_user' may not see metric 'gross_margin' (sensitivity finance; allowed: public)" in str(
        err.value
    )
    assert (
        run_query(sale, MetricQuery(metrics=["gross_margin"], **DAY), FINANCE, tz=SHANGHAI).rows.num_rows == 1
    )


def test_row_filter_is_anded_into_every_query(sale):
    got = run_query(
        sale, MetricQuery(metrics=["gmv_paid"], dimensions=["province"], **DAY), WOMENSWEAR, tz=SHANGHAI
    )
    want = dict(
        sale.cursor()
        .execute(f"""
        SELECT o.province, sum(i.list_price * i.quantity - i.discount_amount)
        FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
        WHERE p.category_l1 = '女装' AND o.paid_at >= TIMESTAMPTZ '{DAY_START.isoformat()}'
          AND o.paid_at < TIMESTAMPTZ '{DAY_END.isoformat()}' GROUP BY 1""")
        .fetchall()
    )
    assert {r["province"]: r["gmv_paid"] for r in got.rows.to_pylist()} == want
    # A user filter cannot widen it: asking for another category gives nothing, not that category.
    other = MetricQuery(metrics=["gmv_paid"], filters=[Filter(dimension="category_l1", value="数码")], **DAY)
    assert run_query(sale, other, WOMENSWEAR, tz=SHANGHAI).rows.to_pylist() == [{"gmv_paid": Decimal(0)}]
    assert "女装" in got.sql


def test_a_row_filter_that_cannot_apply_refuses(sale):
    with pytest.raises(Forbidden, match="'cat_mgr' sees only rows where category_l1 in"):
        run_query(sale, MetricQuery(metrics=["payment_attempts"], **DAY), WOMENSWEAR, tz=SHANGHAI)


def test_dataset_masks_pii_but_keeps_the_column(sale):
    rows = dataset(sale, "orders", ["order_id", "customers.phone", "customers.name", "channel_group"],
                   [Filter(dimension="order_id", op="<=", value=3)], OPS).to_pylist()  # fmt: skip
    want = (
        sale.cursor()
        .execute(
            "SELECT o.order_id, c.phone FROM orders o JOIN customers c USING (customer_id) WHERE order_id <= 3 ORDER BY 1"
        )
        .fetchall()
    )
    got = sorted((r["order_id"], r["customers.phone"]) for r in rows)
    assert got == [(oid, phone[:3] + "****" + phone[-4:]) for oid, phone in want]
    assert all(r["customers.name"].endswith("***") and len(r["customers.name"]) == 4 for r in rows)
    unmasked = Principal("admin", {"public", "finance", "pii"}, masked_columns=set())
    raw = dataset(
        sale,
        "orders",
        ["order_id", "customers.phone"],
        [Filter(dimension="order_id", op="<=", value=3)],
        unmasked,
    )
    assert sorted((r["order_id"], r["customers.phone"]) for r in raw.to_pylist()) == want


def test_dataset_applies_row_filters_and_guards_finance_columns(sale):
    rows = dataset(sale, "order_items", ["order_id", "category_l1", "unit_cost"], [], WOMENSWEAR).to_pylist()
    n_womenswear = sale.cursor().execute(
        "SELECT count(*) FROM order_items JOIN products USING (sku_id) WHERE category_l1 = '女装'").fetchone()[0]  # fmt: skip
    assert len(rows) == n_womenswear and {r["category_l1"] for r in rows} == {"女装"}
    with pytest.raises(Forbidden, match=r"may not read order_items\.unit_cost"):
        dataset(sale, "order_items", ["unit_cost"], [], OPS)


def test_dataset_bad_columns(sale):
    with pytest.raises(UserError, match="table orders has no column 'colour'"):
        dataset(sale, "orders", ["colour"], [], None)
    with pytest.raises(UserError, match="no join from orders to products"):
        dataset(sale, "orders", ["products.brand"], [], None)
    with pytest.raises(UserError, match="dimension 'host' does not apply to table orders"):
        dataset(sale, "orders", ["host"], [], None)
    assert dataset(sale, "orders", ["order_id"], [], None, limit=5).num_rows == 5


def test_principal_from_the_access_policy():
    p = Principal.from_policy("u", {"allowed_sensitivities": ["public"], "row_filters": {"province": ["浙江"]},
                                    "unmasked_pii": False})  # fmt: skip
    assert p.row_filters == (Filter(dimension="province", op="in", value=["浙江"]),)
    assert p.masks("customers", "phone") and not p.masks("orders", "province")
    assert not Principal.from_policy(
        "a", {"allowed_sensitivities": ["pii"], "unmasked_pii": True}
    ).masked_columns
