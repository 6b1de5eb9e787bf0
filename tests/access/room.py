"""The whole app in-process for the permission matrix and the security tests: the metric tests' seeded random
sale, one account per built-in role plus a category manager, API tokens of each scope, an open alert, a
silence, two alert rules made through the API and a quarantined customer row, on SQLite and on PostgreSQL (a fresh schema, dropped after).

A caller is a name (see CALLERS); `room.request(caller, method, url, ...)` sends one request as that caller.
Sessions are made through the access service (no argon2 per request: the form login has its own tests in
tests/web/test_auth.py and test_security.py), each request with its own session, so a logout or a login in
one case leaves the others' sessions alone. Browsers send the CSRF cookie and, on forms, the same value.
"""

import functools
import secrets
from collections.abc import Iterator
from datetime import UTC, timedelta
from types import SimpleNamespace

import psycopg
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from tests.metrics.data import DAY_END, random_sale
from warroom.access import (
    create_login_session,
    create_role,
    create_token,
    create_user,
    get_user,
    hash_password,
)
from warroom.access import users as users_module
from warroom.alerts.links import LinkClaims, sign
from warroom.collab import PanelPick, create_dashboard
from warroom.config import Settings
from warroom.ingest import ingest_batch
from warroom.meta import open_metadata
from warroom.meta.alert_rules import AlertRuleRow
from warroom.meta.alerts import AlertStateRow, OutboxRow, SilenceRow
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"  # as conftest.py
PASSWORD = "room-pass-1"
NOW = DAY_END - timedelta(hours=1)  # the room's clock: 2026-11-11 23:00 Shanghai
CSRF = "matrix-csrf-value"
# username -> role. "victim" is what the admin forms act on; "cat" a category manager (女装 only).
USERS = {
    "op": "ops",
    "fin": "finance",
    "tec": "tech",
    "boss": "admin",
    "cat": "womenswear",
    "victim": "viewer",
}
# The columns of the matrix: who is asking.
CALLERS = ("anon", "ops", "finance", "tech", "admin", "read_token", "ingest_token")
SESSION_OF = {"ops": "op", "finance": "fin", "tech": "tec", "admin": "boss", "cat": "cat"}
# A customer row the quarantine keeps (its registered_at is not a time): raw PII sitting on the server.
QUARANTINED = {"customer_id": 9001, "registered_at": "not a time", "province": "浙江", "member_level": "gold",
               "name": "李四光", "phone": "13912345678"}  # fmt: skip

_cached_hash = functools.cache(hash_password)


def api_rule(rule_id: str) -> dict:
    """A tech rule in the rule file's shape, as the alert rules API takes it."""
    return {"id": rule_id, "metric": "latency_p99", "condition": {"threshold": {"op": ">", "value": 900}},
            "severity": "warning", "team": "tech", "channels": ["tech_chat"],
            "message": {"zh": "p99 {value:.0f}", "en": "p99 {value:.0f}"}}  # fmt: skip


@pytest.fixture(scope="module")
def sale(tmp_path_factory):
    wh = random_sale(tmp_path_factory.mktemp("sale") / "warehouse.duckdb")
    yield wh
    wh.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def module_metadata_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('meta') / 'metadata.sqlite'}"
        return
    database = request.getfixturevalue("pg_database")
    schema = f"m_{secrets.token_hex(6)}"
    dsn = PG_ADMIN.replace("dbname=postgres", f"dbname={database}")
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}?options=-csearch_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def room(sale, module_metadata_url, tmp_path_factory) -> Iterator[SimpleNamespace]:
    patch = pytest.MonkeyPatch()
    patch.setattr(users_module, "hash_password", _cached_hash)
    settings = Settings(home=tmp_path_factory.mktemp("home"), metadata_url=module_metadata_url)
    meta = open_metadata(module_metadata_url)
    tokens: dict[str, str] = {}
    with meta() as s:
        create_role(s, name="womenswear", description="category manager 女装", allowed_sensitivities=["public"],
                    row_filters={"category_l1": ["女装"]}, actor="test")  # fmt: skip
        for username, role in USERS.items():
            create_user(s, username=username, password=PASSWORD, role=role, actor="test")
        _, tokens["read_token"] = create_token(
            s, username="fin", name="reader", scopes=["read"], actor="test"
        )
        _, tokens["ingest_token"] = create_token(
            s, username="boss", name="pusher", scopes=["ingest"], actor="t"
        )
        _, tokens["ops_read"] = create_token(
            s, username="op", name="ops script", scopes=["read"], actor="test"
        )
        _, tokens["cat_read"] = create_token(s, username="cat", name="cat script", scopes=["read"], actor="t")
        _, tokens["admin_all"] = create_token(
            s, username="boss", name="all", scopes=["read", "admin"], actor="t"
        )
        victim_token, _ = create_token(s, username="victim", name="to revoke", scopes=["read"], actor="test")
        fired = NOW - timedelta(minutes=5)
        s.add(
            AlertStateRow(
                rule_id="p99_latency", labels_key="service=payment", labels={"service": "payment"}, team="tech",
                severity="critical", status="firing", active_since=fired, value=2400.0, fired_at=fired,
                summary_zh="支付 p99 2.4 秒", summary_en="payment p99 2.4 s", link="/tech", updated_at=NOW,
            )
        )  # fmt: skip
        silence = SilenceRow(rule_id="p99_latency", matchers=[], starts_at=fired, ends_at=NOW + timedelta(hours=1),
                             created_by="tec", comment="", created_at=fired)  # fmt: skip
        s.add(silence)
        # the message that alert was sent in: the ack link of the matrix is for it
        outbox = OutboxRow(
            key="p99_latency|matrix", rule_id="p99_latency", labels_key="service=payment", team="tech",
            channel="tech_chat", kind="firing", created_at=fired, next_attempt_at=fired, status="sent",
            payload={"fired_at": fired.isoformat(), "summary_zh": "支付 p99 2.4 秒", "summary_en": "payment p99 2.4 s"},
        )  # fmt: skip
        s.add(outbox)
        for rule_id in ("matrix_api_rule", "doomed_api_rule"):  # the tech team's, made through the API
            s.add(AlertRuleRow(id=rule_id, team="tech", definition=api_rule(rule_id), created_by="tec",
                               created_at=fired, updated_by="tec", updated_at=fired))  # fmt: skip
        s.commit()
        picks = [PanelPick("ops", "traffic", "range=1h"), PanelPick("finance", "margins_channel")]
        shared = create_dashboard(s, owner="fin", name="shared", panels=picks)
        doomed = create_dashboard(s, owner="fin", name="to delete", panels=picks)
        ids = {"victim_token": victim_token.id, "silence": silence.id, "dashboard": shared.id,
               "doomed_dashboard": doomed.id}  # fmt: skip
    report = ingest_batch(sale, "customers", pa.Table.from_pylist([QUARANTINED]), "crm-export.csv")
    assert report.rejected == 1
    runtime = Runtime(settings, sale, meta, _now=lambda: NOW)
    ids["ack_link"] = sign(runtime.link_secret(), LinkClaims(outbox.id, "ack", NOW + timedelta(days=1)))
    with TestClient(create_app(runtime), follow_redirects=False) as client:

        def headers(caller: str) -> dict[str, str]:
            """The headers a caller sends: a fresh session cookie and the CSRF cookie, or a bearer token."""
            if caller == "anon":
                return {"Cookie": f"warroom_csrf={CSRF}"}
            if caller in tokens:
                return {"Authorization": f"Bearer {tokens[caller]}"}
            with meta() as s:
                secret = create_login_session(s, user=get_user(s, username=SESSION_OF[caller]))
            return {"Cookie": f"warroom_session={secret}; warroom_csrf={CSRF}"}

        def request(caller: str, method: str, url: str, **kw):
            client.cookies.clear()  # each request carries only its caller's credentials
            kw["headers"] = headers(caller) | kw.get("headers", {})
            return client.request(method, url, **kw)

        def stream_first(caller: str, url: str, **kw) -> tuple[int, str]:
            """An SSE endpoint: its status and its first `data:` event (or its whole body when refused)."""
            client.cookies.clear()
            kw["headers"] = headers(caller) | kw.get("headers", {})
            with client.stream("GET", url, **kw) as r:
                if r.status_code != 200:
                    return r.status_code, r.read().decode()
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        return 200, line[6:]
            return r.status_code, ""

        yield SimpleNamespace(
            client=client, meta=meta, tokens=tokens, ids=ids, request=request, stream_first=stream_first,
            headers=headers, warehouse=sale, runtime=runtime, url=module_metadata_url,
        )  # fmt: skip
    meta.kw["bind"].dispose()
    patch.undo()


def utc(t) -> str:
    return t.astimezone(UTC).isoformat()
