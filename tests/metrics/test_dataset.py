"""Dataset queries: a table's own column is selectable even where a dimension's alias has its name (the
dimension applies to other tables), and the SQL is compiled once per shape, each call binding its values."""

import pytest

from warroom.errors import UserError
from warroom.metrics import Filter, Principal, dataset, engine

ANALYST = Principal("analyst", {"public"}, masked_columns={"customers.phone"})


def rows_of(table) -> list[tuple]:
    names = table.column_names
    return sorted(tuple(r[n] for n in names) for r in table.to_pylist())


@pytest.mark.parametrize(
    ("table", "columns", "filters", "check_sql"),
    [
        # promo_id is the alias of the promo dimension (order lines, discounts, spend), not of promotions
        (
            "promotions",
            ["promo_id", "promo_type", "funded_by"],
            [Filter(dimension="promo_id", op="!=", value="none")],
            "SELECT promo_id, promo_type, funded_by FROM promotions WHERE promo_id != 'none'",
        ),
        # sku_id (alias of sku), brand, category_l1: dimensions of events and order lines, columns here
        (
            "products",
            ["sku_id", "brand", "category_l1"],
            [Filter(dimension="sku_id", op="<=", value=105), Filter(dimension="brand", value="brand1")],
            "SELECT sku_id, brand, category_l1 FROM products WHERE sku_id <= 105 AND brand = 'brand1'",
        ),
        ("channels", ["channel_id", "channel_group"], [], "SELECT channel_id, channel_group FROM channels"),
        (
            "customers",
            ["customer_id", "province", "member_level"],
            [Filter(dimension="member_level", op="in", value=["gold", "vip88"])],
            "SELECT customer_id, province, member_level FROM customers WHERE member_level IN ('gold', 'vip88')",
        ),
    ],
)
def test_a_tables_own_column_under_a_dimensions_name(sale, table, columns, filters, check_sql):
    got = rows_of(dataset(sale, table, columns, filters, ANALYST))
    want = sorted(sale.cursor().execute(check_sql).fetchall())
    assert want and got == want


def test_a_dimension_that_applies_still_wins_and_one_that_cannot_still_refuses(sale):
    # on orders, channel_group is the dimension (a join to channels), which orders has no column for
    got = rows_of(dataset(sale, "orders", ["order_id", "channel_group"], [], None))
    want = sale.cursor().execute(
        "SELECT order_id, channel_group FROM orders JOIN channels USING (channel_id) ORDER BY 1"
    )
    assert got == sorted(want.fetchall())
    with pytest.raises(UserError, match="dimension 'host' does not apply to table orders"):
        dataset(sale, "orders", ["host"], [], None)


def purchases(sale, customer, principal=ANALYST):
    return dataset(
        sale,
        "order_items",
        ["order_id", "line_no", "sku_id", "category_l1"],
        [Filter(dimension="orders.customer_id", value=customer)],
        principal,
    )


def test_a_second_call_reuses_the_compiled_query(sale):
    engine._DATASETS.clear()
    for customer in (3, 7, 11):
        got = rows_of(purchases(sale, customer))
        want = sale.cursor().execute(
            """SELECT i.order_id, i.line_no, i.sku_id, p.category_l1
               FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (sku_id)
               WHERE o.customer_id = ?""",
            [customer],
        )
        assert got == sorted(want.fetchall())
    assert (engine._DATASETS.misses, engine._DATASETS.hits) == (1, 2)
    assert any(rows_of(purchases(sale, c)) for c in (3, 7, 11))  # the case reads rows at all
    purchases(sale, 3, principal=None)  # another principal: another shape
    assert engine._DATASETS.misses == 2


def test_a_cached_shape_still_checks_and_binds_each_value(sale):
    engine._DATASETS.clear()
    purchases(sale, 3)
    with pytest.raises(UserError, match=r"filter on orders\.customer_id: 'x' is not a valid int64 value"):
        purchases(sale, "x")
    assert engine._DATASETS.hits == 1
    hostile = [Filter(dimension="promo_id", op="in", value=["p1') OR ('1'='1"])]
    assert dataset(sale, "promotions", ["promo_id"], hostile, None).num_rows == 0
