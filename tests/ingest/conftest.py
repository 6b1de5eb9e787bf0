import pytest

from warroom.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        yield wh


def event_row(event_id, **overrides) -> dict:
    row = {
        "event_id": str(event_id),
        "ts": "2026-11-11 00:00:00",
        "session_id": "1",
        "customer_id": "7",
        "channel_id": "search",
        "event_type": "view",
        "sku_id": "100",
        "device": "ios",
    }
    row.update(overrides)
    return row


def order_row(order_id, status="created", updated_at="2026-11-11 00:00:00", **overrides) -> dict:
    row = {
        "order_id": order_id,
        "ts": "2026-11-11 00:00:00",
        "customer_id": 7,
        "channel_id": "search",
        "province": "浙江",
        "device": "ios",
        "status": status,
        "is_new_buyer": "true",
        "list_amount": "100.00",
        "discount_amount": "10.00",
        "paid_amount": "90.00",
        "shipping_fee": "0",
        "updated_at": updated_at,
    }
    row.update(overrides)
    return row
