"""Collaboration and export tests: the metadata store on SQLite and PostgreSQL (the access suite's fixtures),
and the web app in-process over the metric tests' seeded random sale, with one user per kind of policy."""

import functools
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from tests.access.conftest import metadata_url, pg_database, session  # noqa: F401  (fixtures, by name)
from tests.metrics.data import DAY_END, random_sale
from warroom.access import create_role, create_token, create_user, hash_password
from warroom.access import users as users_module
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

PASSWORD = "collab-pass-1"
# The room's clock: one hour before the end of the sale day of the random sale (2026-11-11 23:00 Shanghai).
NOW = DAY_END - timedelta(hours=1)
# user -> role; womenswear and pii_reader are custom roles made by the fixture.
USERS = {
    "boss": "admin",
    "fin": "finance",
    "op": "ops",
    "cat": "womenswear",
    "crm": "pii_reader",
}


_cached_hash = functools.cache(hash_password)


@pytest.fixture(scope="module")
def sale(tmp_path_factory):
    wh = random_sale(tmp_path_factory.mktemp("sale") / "warehouse.duckdb")
    yield wh
    wh.close()


@pytest.fixture
def app(sale, metadata_url, tmp_path, monkeypatch) -> Iterator[SimpleNamespace]:  # noqa: F811
    """The app over the random sale; .client (no cookies), .tokens[user] (read scope), .meta, .login(user)."""
    # One real argon2 hash for the one shared password instead of five (~0.2 s each, ~0.7 s on a busy
    # 2-core machine): these tests are about what users may see, not about hashing.
    monkeypatch.setattr(users_module, "hash_password", _cached_hash)
    settings = Settings(home=tmp_path, metadata_url=metadata_url)
    meta = open_metadata(metadata_url)
    tokens = {}
    with meta() as s:
        create_role(s, name="womenswear", description="category manager 女装", allowed_sensitivities=["public"],
                    row_filters={"category_l1": ["女装"]}, actor="test")  # fmt: skip
        create_role(s, name="pii_reader", description="CRM", allowed_sensitivities=["public", "pii"],
                    unmasked_pii=True, actor="test")  # fmt: skip
        for username, role in USERS.items():
            create_user(s, username=username, password=PASSWORD, role=role, actor="test")
            _, tokens[username] = create_token(s, username=username, name="t", scopes=["read"], actor="test")
    runtime = Runtime(settings, sale, meta, _now=lambda: NOW)
    with TestClient(create_app(runtime), follow_redirects=False) as client:

        def login(username: str) -> TestClient:
            """A fresh client logged in through the form; its CSRF token is in .csrf."""
            browser = TestClient(client.app, follow_redirects=False)
            browser.get("/login")
            csrf = browser.cookies["warroom_csrf"]
            r = browser.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf})
            assert r.status_code == 303, r.text
            browser.csrf = csrf
            return browser

        yield SimpleNamespace(client=client, tokens=tokens, meta=meta, login=login)
    meta.kw["bind"].dispose()


def bearer(app: SimpleNamespace, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.tokens[user]}"}
