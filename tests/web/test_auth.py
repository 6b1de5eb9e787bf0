"""Login, logout, CSRF, tokens and the JSON error envelope, through the app in-process."""

import pytest
from fastapi.testclient import TestClient

from warroom.access import create_token, create_user
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Runtime


@pytest.fixture
def client(tmp_path):
    settings = Settings(home=tmp_path)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as s:
        create_user(s, username="fin", password="fin-pass-1", role="finance", actor="test")
        _, token = create_token(s, username="fin", name="script", scopes=["read"], actor="test")
    runtime = Runtime(settings, Warehouse(settings.warehouse_path), meta)
    with TestClient(create_app(runtime), follow_redirects=False) as c:
        c.token = token
        yield c


def _login(client, password="fin-pass-1"):
    client.get("/login")
    csrf = client.cookies["warroom_csrf"]
    return client.post("/login", data={"username": "fin", "password": password, "csrf": csrf})


def test_pages_redirect_to_login_and_apis_answer_401_in_the_envelope(client):
    for page in ["/", "/ops", "/finance", "/tech", "/screen", "/alerts", "/data", "/dashboards", "/admin"]:
        r = client.get(page, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), page
    r = client.get("/api/v1/boards/overview")
    assert r.status_code == 401
    assert r.json()["ok"] is False and r.json()["status"] == 401 and "log in" in r.json()["error"]


def test_login_sets_an_httponly_session_cookie(client):
    r = _login(client)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("warroom_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_with_401_and_the_form_again(client):
    r = _login(client, password="nope")
    assert r.status_code == 401
    assert "warroom_session" not in client.cookies
    assert 'name="username"' in r.text


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"username": "fin", "password": "fin-pass-1", "csrf": "forged"})
    assert r.status_code == 403
    assert "security token" in r.json()["error"]


def test_logout_ends_the_session(client):
    _login(client)
    csrf = client.cookies["warroom_csrf"]
    assert client.post("/logout", data={"csrf": csrf}).headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login"


def test_bearer_token_reads_the_api_and_a_bad_one_is_refused(client):
    ok = client.get("/api/v1/health", headers={"Authorization": f"Bearer {client.token}"})
    assert ok.status_code == 200
    bad = client.get("/api/v1/boards/overview", headers={"Authorization": "Bearer wrt_not-a-token"})
    assert bad.status_code == 401 and "token" in bad.json()["error"]


def test_unknown_route_uses_the_envelope(client):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json() == {"ok": False, "status": 404, "error": "Not Found"}
