from zoneinfo import ZoneInfo

import pytest

from tests.metrics.data import random_sale

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sale(tmp_path_factory):
    """The seeded random sale (read-only for the tests that use it)."""
    wh = random_sale(tmp_path_factory.mktemp("sale") / "warehouse.duckdb")
    yield wh
    wh.close()
