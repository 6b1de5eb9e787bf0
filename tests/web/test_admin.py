"""The admin pages in-process: admins only (403 for every other role, on every page and form), CSRF on every
form, and what each form changes in the metadata store (users, roles, tokens) and writes to the audit log."""

import functools
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.access.conftest import metadata_url, pg_database  # noqa: F401  (fixtures, by name)
from warroom.access import create_token, create_user, find_user, get_role, hash_password, recent_audit
from warroom.access import users as users_module
from warroom.config import Settings
from warroom.meta import ApiToken, open_metadata
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime

PASSWORD = "admin-test-1"
# One real argon2 hash for the shared password instead of one per user (~0.2-0.7 s each on this machine).
_cached_hash = functools.cache(hash_password)

PAGES = ["/admin/users", "/admin/roles", "/admin/tokens", "/admin/audit"]
FORMS = [
    ("/admin/users", {"username": "x1", "password": "long-enough-1", "role": "viewer"}),
    ("/admin/users/fin/role", {"role": "admin"}),
    ("/admin/users/fin/disable", {}),
    ("/admin/roles", {"name": "sneaky", "sensitivities": "pii", "unmasked_pii": "true"}),
    ("/admin/tokens", {"username": "fin", "name": "mine", "scopes": "read"}),
    ("/admin/tokens/1/revoke", {}),
]


@pytest.fixture
def site(tmp_path, metadata_url, monkeypatch):  # noqa: F811
    monkeypatch.setattr(users_module, "hash_password", _cached_hash)
    settings = Settings(home=tmp_path, metadata_url=metadata_url)
    meta = open_metadata(metadata_url)
    with meta() as s:
        for username, role in (("boss", "admin"), ("fin", "finance"), ("op", "ops"), ("look", "viewer")):
            create_user(s, username=username, password=PASSWORD, role=role, actor="test")
    runtime = Runtime(settings, Warehouse(settings.warehouse_path), meta)
    with TestClient(create_app(runtime), follow_redirects=False) as client:
        client.meta = meta
        yield client
    runtime.warehouse.close()
    meta.kw["bind"].dispose()


def _login(site: TestClient, username: str) -> TestClient:
    browser = TestClient(site.app, follow_redirects=False)
    browser.get("/login")
    browser.csrf = browser.cookies["warroom_csrf"]
    r = browser.post("/login", data={"username": username, "password": PASSWORD, "csrf": browser.csrf})
    assert r.status_code == 303
    return browser


def _post(browser: TestClient, path: str, data: dict):
    return browser.post(path, data={**data, "csrf": browser.csrf})


@pytest.mark.parametrize("username", ["fin", "op", "look"])
def test_every_admin_page_and_form_is_403_for_non_admins(site, username):
    browser = _login(site, username)
    for path in PAGES:
        r = browser.get(path)
        assert r.status_code == 403, path
        assert "may not use the admin pages" in r.json()["error"]
    for path, data in FORMS:
        assert _post(browser, path, data).status_code == 403, path
    with site.meta() as s:
        assert find_user(s, username="x1") is None and get_role(s, name="admin") is not None
        assert find_user(s, username="fin").role == "finance" and not find_user(s, username="fin").disabled
        assert s.scalars(select(ApiToken)).all() == []


def test_anonymous_visitors_are_sent_to_login_and_forms_refused(site):
    for path in PAGES:
        assert site.get(path).headers["location"] == "/login"
    assert site.post("/admin/users", data=FORMS[0][1]).status_code == 401


def test_a_token_must_carry_the_admin_scope(site):
    with site.meta() as s:
        _, read_only = create_token(s, username="boss", name="read", scopes=["read"], actor="test")
        _, admin = create_token(s, username="boss", name="admin", scopes=["admin"], actor="test")
    refused = site.get("/admin/users", headers={"Authorization": f"Bearer {read_only}"})
    assert refused.status_code == 403 and "lacks the 'admin' scope" in refused.json()["error"]
    assert site.get("/admin/users", headers={"Authorization": f"Bearer {admin}"}).status_code == 200


def test_every_form_needs_the_csrf_token(site):
    boss = _login(site, "boss")
    for path, data in FORMS:
        r = boss.post(path, data={**data, "csrf": "forged"})
        assert r.status_code == 403 and "security token" in r.json()["error"], path
    with site.meta() as s:
        assert find_user(s, username="x1") is None
        assert find_user(s, username="fin").role == "finance"


def test_admin_adds_a_user_changes_the_role_disables_and_enables(site):
    boss = _login(site, "boss")
    page = boss.get("/admin/users")
    assert page.status_code == 200 and 'data-user="fin"' in page.text and 'name="csrf"' in page.text
    r = _post(
        boss,
        "/admin/users",
        {"username": "Mei", "display_name": "梅", "password": "sale-day-11", "role": "ops"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    assert _post(boss, "/admin/users/mei/role", {"role": "finance"}).status_code == 303
    assert _post(boss, "/admin/users/mei/disable", {}).status_code == 303
    with site.meta() as s:
        mei = find_user(s, username="mei")
        assert (mei.display_name, mei.role, mei.disabled) == ("梅", "finance", True)
    assert _post(boss, "/admin/users/mei/enable", {}).status_code == 303
    with site.meta() as s:
        assert not find_user(s, username="mei").disabled
        done = [(e.action, e.actor, e.target) for e in recent_audit(s, target="user:mei")]
    assert done == [("user_enabled", "boss", "user:mei"), ("user_disabled", "boss", "user:mei"),
                    ("role_granted", "boss", "user:mei"), ("user_created", "boss", "user:mei")]  # fmt: skip
    duplicate = _post(boss, "/admin/users", {"username": "mei", "password": "sale-day-11", "role": "ops"})
    assert duplicate.status_code == 400 and "user &#39;mei&#39; already exists" in duplicate.text


def test_an_admin_cannot_lock_themselves_out(site):
    boss = _login(site, "boss")
    r = _post(boss, "/admin/users/boss/disable", {})
    assert r.status_code == 400 and "cannot disable your own account" in r.text
    r = _post(boss, "/admin/users/boss/role", {"role": "ops"})
    assert r.status_code == 400 and "cannot take the admin role from yourself" in r.text
    with site.meta() as s:
        boss_row = find_user(s, username="boss")
        assert (boss_row.role, boss_row.disabled) == ("admin", False)


def test_admin_creates_a_custom_role_with_row_filters(site):
    boss = _login(site, "boss")
    r = boss.post("/admin/roles", data={
        "name": "east_womenswear", "description": "华东女装", "sensitivities": ["public", "finance"],
        "row_filters": "category_l1: 女装\nprovince: 浙江，江苏, 上海\n", "csrf": boss.csrf,
    })  # fmt: skip
    assert r.status_code == 303
    with site.meta() as s:
        role = get_role(s, name="east_womenswear")
        assert (role.allowed_sensitivities, role.row_filters, role.unmasked_pii, role.builtin) == (
            ["public", "finance"], {"category_l1": ["女装"], "province": ["浙江", "江苏", "上海"]}, False, False,
        )  # fmt: skip
    page = boss.get("/admin/roles").text
    assert 'data-role="east_womenswear"' in page and "province ∈ 浙江, 江苏, 上海" in page
    bad = _post(boss, "/admin/roles", {"name": "r2", "sensitivities": "public", "row_filters": "colour: red"})
    assert bad.status_code == 400 and "unknown dimension &#39;colour&#39;" in bad.text
    with site.meta() as s:
        assert [e.target for e in recent_audit(s, action="role_created")] == ["role:east_womenswear"]


def test_a_token_is_shown_once_works_and_is_revoked(site):
    boss = _login(site, "boss")
    r = _post(boss, "/admin/tokens", {"username": "fin", "name": "月报脚本", "scopes": "read"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    token = re.search(r'<code id="new-token">(wrt_[^<]+)</code>', r.text).group(1)
    assert site.get("/api/v1/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = boss.get("/admin/tokens").text
    assert token not in listing and "月报脚本" in listing
    with site.meta() as s:
        token_id = s.scalars(select(ApiToken.id).where(ApiToken.name == "月报脚本")).one()
    assert _post(boss, f"/admin/tokens/{token_id}/revoke", {}).status_code == 303
    assert site.get("/api/v1/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = _post(boss, f"/admin/tokens/{token_id}/revoke", {})
    assert again.status_code == 400 and "already revoked" in again.text
    admin_for_fin = _post(boss, "/admin/tokens", {"username": "fin", "name": "x", "scopes": "admin"})
    assert (
        admin_for_fin.status_code == 400 and "only admin-role users hold admin tokens" in admin_for_fin.text
    )


def test_audit_log_filtered_by_action(site):
    boss = _login(site, "boss")
    _post(boss, "/admin/users/op/disable", {})
    _post(boss, "/admin/users/op/enable", {})
    _post(boss, "/admin/tokens", {"username": "fin", "name": "月报脚本", "scopes": "read"})
    everything = boss.get("/admin/audit").text
    assert {"user_created", "login", "user_disabled", "user_enabled"} <= set(
        re.findall(r'data-action="(\w+)"', everything)
    )
    only = boss.get("/admin/audit", params={"action": "user_disabled"}).text
    rows = re.findall(r'<tr data-action="(\w+)">\s*<td>[^<]*</td>\s*<td>(\w+)</td>', only)
    assert rows == [("user_disabled", "boss")]
    created = boss.get("/admin/audit", params={"action": "token_created"}).text
    assert "name=&#34;月报脚本&#34;" in created  # Chinese as written, not \u6708...
    bad = boss.get("/admin/audit", params={"action": "drop_table"})
    assert bad.status_code == 400 and "unknown audit action 'drop_table'" in bad.json()["error"]
