"""Security over HTTP, beyond what tests/web/test_auth.py and the service tests cover: the login rate limit
as a browser meets it, CSRF on every state-changing route (found from the app, so a new one is checked),
expired sessions, revoked tokens and disabled owners, tokens used beyond their scope, and SQL-injection and
path-traversal attempts through every parameter that reaches a query or a file."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.access.room import CSRF, PASSWORD
from tests.access.test_permission_matrix import MATRIX, app_routes
from tests.metrics.data import DAY_END, DAY_START
from warroom.access import (
    Action,
    create_login_session,
    create_token,
    disable_user,
    get_user,
    list_tokens,
    recent_audit,
    revoke_token,
)
from warroom.schema import TABLES

DAY = {"time_from": DAY_START.isoformat(), "time_to": DAY_END.isoformat()}
# POST routes that change nothing on the server or take no cookie: no CSRF token to check.
CSRF_EXEMPT = {
    "/api/v1/query": "reads only (a metric query in a JSON body)",
    "/api/v1/ingest/{table}": "bearer tokens only: a cross-site page cannot set the Authorization header",
    # The authority is the signed, expiring, single-use token in the URL itself, not a cookie: a cross-site
    # page that knew the URL would already hold the capability (tests/alerts/test_action_links.py).
    "/alerts/link/{token}": "authorised by the signed link, not by a session",
}


def state_changing_routes(app) -> list[tuple[str, str]]:
    return sorted((m, p) for m, p in app_routes(app) if m in ("POST", "PUT", "PATCH", "DELETE"))


def test_every_state_changing_route_refuses_a_browser_session_without_the_csrf_token(room):
    checked = []
    for method, path in state_changing_routes(room.client.app):
        if path in CSRF_EXEMPT:
            continue
        (case,) = MATRIX[(method, path)][:1]
        url = case.url.format(**room.ids)
        for forged in ({}, {"csrf": "guessed"}):
            # The admin may do everything, so only the missing or wrong token can be the reason for a 403.
            kw = {"json": case.json} if case.json is not None else {"data": {**(case.data or {}), **forged}}
            headers = {"X-CSRF-Token": forged["csrf"]} if case.json is not None and forged else {}
            r = room.request("admin", method, url, headers=headers, **kw)
            assert r.status_code == 403 and "security token" in r.json()["error"], (
                path,
                forged,
                r.text[:200],
            )
        checked.append(path)
    assert "/alerts/silences" in checked and "/admin/tokens" in checked and "/logout" in checked


def test_a_cross_site_form_cannot_log_someone_in_with_a_stolen_form_token(room):
    # The CSRF token of one browser (its cookie) does not pass with another browser's cookie.
    r = room.request("anon", "POST", "/login", data={"username": "op", "password": PASSWORD, "csrf": "other"})
    assert r.status_code == 403


def test_the_rate_limit_answers_429_even_to_the_right_password(room):
    def attempt(password: str):
        return room.request(
            "anon", "POST", "/login", data={"username": "cat", "password": password, "csrf": CSRF}
        )

    for _ in range(5):
        assert attempt("wrong-password").status_code == 401
    refused = attempt(PASSWORD)
    assert refused.status_code == 429 and "warroom_session" not in refused.headers.get("set-cookie", "")
    assert "try again" in refused.text.lower() or "稍后" in refused.text or "minute" in refused.text.lower()


def test_an_expired_session_is_a_logged_out_visitor(room):
    with room.meta() as s:
        old = datetime.now(UTC) - timedelta(hours=13)
        secret = create_login_session(s, user=get_user(s, username="op"), now=old)
    cookie = {"Cookie": f"warroom_session={secret}; warroom_csrf={CSRF}"}
    room.client.cookies.clear()
    assert room.client.get("/ops", headers=cookie).headers["location"] == "/login"
    assert room.client.get("/api/v1/boards/overview", headers=cookie).status_code == 401
    r = room.client.post("/api/v1/boards/overview/comments", json={"panel": "p", "text": "t"},
                         headers=cookie | {"X-CSRF-Token": CSRF})  # fmt: skip
    assert r.status_code == 401


def test_revoked_tokens_and_disabled_owners_tokens_stop_at_once(room):
    with room.meta() as s:
        row, token = create_token(
            s, username="tec", name="soon revoked", scopes=["read", "ingest"], actor="t"
        )
        _, owner_token = create_token(s, username="victim", name="owner goes", scopes=["read"], actor="t")
    bearer = {"Authorization": f"Bearer {token}"}
    assert room.client.get("/api/v1/alerts", headers=bearer).status_code == 200
    with room.meta() as s:
        revoke_token(s, token_id=row.id, actor="test")
    # Revoked: no valid credentials anywhere, 401 on a read route and on ingest alike.
    assert room.client.get("/api/v1/alerts", headers=bearer).status_code == 401
    assert room.client.post("/api/v1/ingest/api_requests", json=[], headers=bearer).status_code == 401
    with room.meta() as s:
        user = get_user(s, username="victim")
        if not user.disabled:
            disable_user(s, username="victim", actor="test")
    r = room.client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 401


def test_expired_tokens(room):
    """The clock is the token's: made 91 days ago for 90 days it has expired; made now for 90 days it has not.

    Expired is refused like revoked (401) on read routes, ingest and admin pages alike, and audited."""
    now = datetime.now(UTC)
    with room.meta() as s:
        old, expired = create_token(
            s,
            username="boss",
            name="last quarter",
            scopes=["read", "ingest", "admin"],
            actor="t",
            expires_in=timedelta(days=90),
            now=now - timedelta(days=91),
        )
        _, fresh = create_token(s, username="boss", name="this quarter", scopes=["read", "ingest", "admin"],
                                actor="t", expires_in=timedelta(days=90), now=now)  # fmt: skip
    # The live token's answers: an empty push gets past the token to the body's own 400.
    routes = [("GET", "/api/v1/alerts", {}, 200), ("POST", "/api/v1/ingest/api_requests", {"json": []}, 400),
              ("GET", "/admin/users", {}, 200)]  # fmt: skip
    for method, url, kw, live in routes:
        room.client.cookies.clear()
        r = room.client.request(method, url, headers={"Authorization": f"Bearer {expired}"}, **kw)
        assert r.status_code == 401 and "expired at" in r.json()["error"], (url, r.text[:200])
        r = room.client.request(method, url, headers={"Authorization": f"Bearer {fresh}"}, **kw)
        assert r.status_code == live, (url, r.text[:200])
    with room.meta() as s:
        refused = recent_audit(s, action=Action.TOKEN_REFUSED, target=f"token:{old.id}")
    # Three refusals within a minute: one entry (a pusher left running must not flood the log).
    assert [(e.actor, e.detail["reason"]) for e in refused] == [("boss", "expired")]
    # The admin page lists when each token expires, and says which have.
    page = room.request("admin", "GET", "/admin/tokens").text
    row = page[page.index(f'data-token="{old.id}"') :].split("</tr>")[0]
    assert (old.expires_at.astimezone(room.runtime.settings.tz).strftime("%Y-%m-%d %H:%M") in row
            and ("已过期" in row or "Expired" in row))  # fmt: skip


def test_the_admin_tokens_form_sets_an_expiry(room):
    before = datetime.now(UTC)
    r = room.request(
        "admin",
        "POST",
        "/admin/tokens",
        data={"username": "op", "name": "form expiry", "scopes": "read", "expires": "12h", "csrf": CSRF},
    )
    assert r.status_code == 201, r.text[:300]
    with room.meta() as s:
        (row,) = [t for t in list_tokens(s) if t.name == "form expiry"]
    assert before + timedelta(hours=12) <= row.expires_at <= datetime.now(UTC) + timedelta(hours=12)
    r = room.request(
        "admin",
        "POST",
        "/admin/tokens",
        data={"username": "op", "name": "bad", "scopes": "read", "expires": "soon", "csrf": CSRF},
    )
    assert r.status_code == 400 and "token expiry &#39;soon&#39;" in r.text  # fmt: skip


def test_a_token_beyond_its_scope_is_told_what_it_lacks_and_has(room):
    r = room.request("ingest_token", "GET", "/api/v1/alerts")
    assert r.status_code == 403
    assert "lacks the 'read' scope; it has 'ingest'" in r.json()["error"]
    r = room.request("read_token", "POST", "/api/v1/ingest/orders", json=[{"order_id": 1}])
    assert r.status_code == 403 and "lacks the 'ingest' scope; it has 'read'" in r.json()["error"]
    r = room.request("ops_read", "GET", "/admin/users")
    assert r.status_code == 403 and "lacks the 'admin' scope; it has 'read'" in r.json()["error"]
    r = room.client.get("/api/v1/alerts", headers={"Authorization": "Bearer wrt_nonsense"})
    assert r.status_code == 401 and "unknown" in r.json()["error"]


@pytest.mark.parametrize(
    ("caller", "method", "url", "kw", "status"),
    [
        ("ingest_token", "POST", "/api/v1/query", {"json": {"metrics": ["gmv_paid"]}}, 403),
        ("ingest_token", "GET", "/api/v1/export.csv", {"params": {"metrics": "gmv_paid"}}, 403),
        ("ingest_token", "GET", "/api/v1/data/status", {}, 403),
        ("ingest_token", "GET", "/admin/users", {}, 403),
        ("read_token", "POST", "/api/v1/ingest/orders", {"json": [{"order_id": 1}]}, 403),
        ("ops_read", "POST", "/api/v1/ingest/orders", {"json": [{"order_id": 1}]}, 403),
        # An admin's token without the admin scope manages nothing; with it, it still needs a form token.
        ("read_token", "GET", "/admin/users", {}, 403),
        (
            "admin_all",
            "POST",
            "/admin/users",
            {"data": {"username": "x1", "password": PASSWORD, "role": "ops"}},
            403,
        ),
    ],
)
def test_a_token_used_beyond_its_scope_is_refused(room, caller, method, url, kw, status):
    r = room.request(caller, method, url, **kw)
    assert r.status_code == status, r.text[:200]
    assert r.json()["ok"] is False


def _table_counts(room) -> dict[str, int]:
    """Rows of every canonical table (rollups come and go with the boards' queries, so they are left out)."""
    con = room.warehouse.cursor()
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return {
        n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in sorted(TABLES) if n in present
    }


INJECTION = "x'; DROP TABLE orders; --"
INJECTIONS = [
    ("POST", "/api/v1/query", {"json": {"metrics": [INJECTION], **DAY}}, 400),
    ("POST", "/api/v1/query", {"json": {"metrics": ["gmv_paid"], "dimensions": [INJECTION], **DAY}}, 400),
    ("POST", "/api/v1/query", {"json": {"metrics": ["gmv_paid"], "order_by": [INJECTION], **DAY}}, 400),
    (
        "POST",
        "/api/v1/query",
        {"json": {"metrics": ["gmv_paid"], "order_by": ["-gmv_paid; DROP TABLE orders"]}},
        400,
    ),
    (
        "POST",
        "/api/v1/query",
        {"json": {"metrics": ["gmv_paid"], "filters": [{"dimension": INJECTION, "op": "=", "value": "a"}]}},
        400,
    ),
    (
        "POST",
        "/api/v1/query",
        {"json": {"metrics": ["gmv_paid"], "grain": "hour); DROP TABLE orders; --"}},
        422,
    ),
    ("POST", "/api/v1/query", {"json": {"metrics": ["gmv_paid"], "time_from": INJECTION}}, 422),
    ("GET", "/api/v1/export.csv", {"params": {"metrics": INJECTION}}, 400),
    ("GET", "/api/v1/export.csv", {"params": {"metrics": "gmv_paid", "dimensions": INJECTION}}, 400),
    ("GET", "/api/v1/export.csv", {"params": {"metrics": "gmv_paid", "order_by": INJECTION}}, 400),
    ("GET", "/api/v1/export.csv", {"params": {"metrics": "gmv_paid", "limit": "1; DROP TABLE orders"}}, 400),
    (
        "GET",
        "/api/v1/dataset.csv",
        {"params": {"table": "orders; DROP TABLE orders", "columns": "order_id"}},
        400,
    ),
    (
        "GET",
        "/api/v1/dataset.csv",
        {"params": {"table": "orders", "columns": 'order_id", 1 FROM orders; --'}},
        400,
    ),
    (
        "GET",
        "/api/v1/dataset.csv",
        {"params": {"table": "orders", "columns": "order_id", "filter": f"{INJECTION}:=:1"}},
        400,
    ),
    (
        "GET",
        "/api/v1/dataset.csv",
        {"params": {"table": "orders", "columns": "order_id", "limit": "1 OR 1=1"}},
        400,
    ),
    ("GET", "/api/v1/boards/ops", {"params": {"category_l1": INJECTION}}, 200),  # a value: no such category
    ("GET", "/api/v1/boards/ops", {"params": {INJECTION: "1"}}, 400),
    ("GET", "/api/v1/boards/tech", {"params": {"service": INJECTION}}, 200),
    ("GET", "/admin/audit", {"params": {"action": INJECTION}}, 400),
    ("GET", "/api/v1/boards/overview/comments", {"params": {"panel": INJECTION}}, 200),
]


@pytest.mark.parametrize(("method", "url", "kw", "status"), INJECTIONS)
def test_sql_injection_through_every_query_parameter_is_a_4xx_or_a_plain_value(room, method, url, kw, status):
    before = _table_counts(room)
    r = room.request("admin_all", method, url, **kw)
    assert r.status_code == status, r.text[:300]
    assert _table_counts(room) == before
    assert (
        "DROP TABLE" not in r.json().get("sql", "")
        if r.headers["content-type"].startswith("application/json")
        else True
    )


def test_a_quoted_filter_value_is_a_value_not_sql(room):
    """category_l1 = '女装' OR '1'='1': as a value it matches no category, so the total is 0, not everything."""
    for value in ("女装' OR '1'='1", "女装'--", '女装" OR "1"="1'):
        body = {
            "metrics": ["gmv_paid"],
            "filters": [{"dimension": "category_l1", "op": "=", "value": value}],
            **DAY,
        }
        r = room.request("ops_read", "POST", "/api/v1/query", json=body)
        assert r.status_code == 200 and r.json()["rows"] == [{"gmv_paid": 0.0}], r.text[:300]
        r = room.request("ops_read", "GET", "/api/v1/export.csv",
                         params={"metrics": "gmv_paid", "filter": f"category_l1:=:{value}", **DAY})  # fmt: skip
        assert r.status_code == 200 and r.content.decode("utf-8-sig").splitlines()[1] in ("0", "0.00"), r.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("panels", "ops/traffic'; DROP TABLE dashboards; --"),
        ("panels", "../../etc/passwd"),
        ("query.ops/traffic", "channel=' OR '1'='1&range=1h; DROP TABLE orders"),
        ("query.ops/traffic", "range=1h&category_l1=x&from=../../etc/passwd"),
        ("name", ""),
    ],
)
def test_a_dashboard_made_of_injections_is_refused_and_stores_nothing(room, field, value):
    form = {"name": "x", "panels": "ops/traffic", "query.ops/traffic": "range=1h", "csrf": CSRF, field: value}
    before = room.request("ops", "GET", "/api/v1/dashboards").json()["dashboards"]
    r = room.request("ops", "POST", "/dashboards", data=form)
    assert r.status_code == 400, r.text[-300:]
    assert room.request("ops", "GET", "/api/v1/dashboards").json()["dashboards"] == before
    r = room.request("ops", "GET", "/api/v1/dashboards/x' OR '1'='1")
    assert r.status_code == 404 and r.json()["ok"] is False


@pytest.mark.parametrize(
    "table",
    [
        "orders; DROP TABLE orders",
        "../../etc/passwd",
        "_quarantine",
        "information_schema.tables",
    ],
)
def test_ingest_into_a_table_that_is_not_canonical_is_refused(room, table):
    before = _table_counts(room)
    r = room.request("ingest_token", "POST", f"/api/v1/ingest/{table}", json=[{"x": 1}])
    assert r.status_code in (404, 400), r.text[:200]
    assert _table_counts(room) == before


TRAVERSALS = [
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e/%2e%2e/config.py",
    "/static/js/../../templates/login.html",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/..%5c..%5cconfig.py",
    "/api/v1/boards/..%2f..%2fadmin",
    "/api/v1/live/..%2fdata",
    "/api/v1/ingest/..%2f..%2fetc%2fpasswd",
    "/lang/..%2f..%2fadmin",
    "/dashboards/..%2f..%2fadmin",
    "/api/v1/dashboards/..%2f..%2fetc%2fpasswd",
    "/api/v1/boards/..%2f..%2fetc/presence",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_path_traversal_reaches_no_file(room, url):
    r = room.request("admin", "GET" if "/ingest/" not in url else "POST", url)
    assert r.status_code in (303, 400, 401, 403, 404, 405), (r.status_code, r.text[:200])
    assert "def create_app" not in r.text and "root:" not in r.text and "BaseSettings" not in r.text
    if r.status_code == 303:  # /lang/<x> sends the browser back, never to a path built from x
        assert r.headers["location"] == "/"


@pytest.mark.parametrize(
    "params",
    [
        {"table": "../../etc/passwd", "columns": "x"},
        {"table": "orders", "columns": "../../../etc/passwd"},
        {"table": "read_csv_auto('/etc/passwd')", "columns": "column0"},
        {"table": "orders", "columns": "order_id", "filter": "read_csv_auto('/etc/passwd'):=:1"},
    ],
)
def test_a_dataset_export_names_no_file(room, params):
    r = room.request("admin", "GET", "/api/v1/dataset.csv", params=params)
    assert r.status_code == 400 and "root:" not in r.text, r.text[:200]
