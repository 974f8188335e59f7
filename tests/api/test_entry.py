"""HTTP entry and the operational endpoints, against the shared live server."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx
import pytest

from support.names import nick
from support.server import LiveServer

GUEST = "/api/v1/session/guest"
PASSWORD = "correct horse battery staple"


def form(nickname: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nickname": nickname or nick("e"),
        "age": 27,
        "gender": "f",
        "region": "69",
        "accept_rules": True,
        "lang": "fr",
    }
    body.update(fields)
    return body


@pytest.fixture
async def http(live_server: LiveServer) -> Any:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=10) as client:
        # keep no cookie between requests: each test says how it authenticates
        client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield client


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


# -- guest entry ----------------------------------------------------------------------------------


async def test_guest_entry(http: httpx.AsyncClient) -> None:
    name = nick("Élo")
    response = await http.post(GUEST, json=form(name, region="2A", gender="nb"))
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert isinstance(token, str) and len(token) >= 32
    assert body["me"]["nick"] == name
    assert (body["me"]["age"], body["me"]["gender"], body["me"]["region"]) == (27, "nb", "2A")
    assert isinstance(body["me"]["id"], int)
    assert "email" not in body["me"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"causerie_session={token};")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    whoami = await http.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert whoami.status_code == 200
    assert whoami.json()["me"]["nick"] == name and whoami.json()["registered"] is False


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"age": 17}, 403, "underage"),
        ({"age": 0}, 403, "underage"),
        ({"age": 100}, 400, "invalid_age"),
        ({"accept_rules": False}, 400, "rules_not_accepted"),
        ({"region": "ZZ"}, 400, "invalid_region"),
        ({"region": "2a"}, 400, "invalid_region"),
        ({"gender": "q"}, 400, "invalid_gender"),
        ({"nickname": "a"}, 400, "nickname_length"),
        ({"nickname": "a" * 25}, 400, "nickname_length"),
        ({"nickname": "   "}, 400, "nickname_length"),
        ({"nickname": "ad\u200bmin"}, 400, "nickname_chars"),
        ({"nickname": "bob\u202e"}, 400, "nickname_chars"),
        ({"nickname": "zoé💋"}, 400, "nickname_chars"),
        ({"nickname": "Аdmin"}, 409, "nickname_reserved"),  # Cyrillic А
        ({"nickname": "modo_paris"}, 409, "nickname_reserved"),
        ({"nickname": "adm1n"}, 409, "nickname_reserved"),
        ({"nickname": "ADMIN"}, 409, "nickname_reserved"),
    ],
)
async def test_entry_refusals(http: httpx.AsyncClient, fields: dict[str, Any], status: int, code: str) -> None:
    error(await http.post(GUEST, json=form(**fields)), status, code)


async def test_malformed_entry_is_bad_request(http: httpx.AsyncClient) -> None:
    error(await http.post(GUEST, json={"nickname": nick()}), 400, "bad_request")
    error(await http.post(GUEST, json=form(age="trente")), 400, "bad_request")
    error(await http.post(GUEST, content=b"{", headers={"Content-Type": "application/json"}), 400, "bad_request")


async def test_a_refused_entry_sets_no_cookie(http: httpx.AsyncClient) -> None:
    response = await http.post(GUEST, json=form(age=17))
    assert "set-cookie" not in response.headers


async def test_nickname_taken_including_case_and_accent_variants(http: httpx.AsyncClient) -> None:
    suffix = nick("", 8)
    first = await http.post(GUEST, json=form(f"Élodie{suffix}"))
    assert first.status_code == 201, first.text
    for variant in (f"Élodie{suffix}", f"elodie{suffix}", f"ELODIE{suffix.upper()}", f"Elodie_{suffix}"):
        error(await http.post(GUEST, json=form(variant)), 409, "nickname_taken")


async def test_error_language_follows_accept_language(http: httpx.AsyncClient) -> None:
    fr = error(
        await http.post(GUEST, json=form(age=17), headers={"Accept-Language": "fr-FR,fr;q=0.9"}), 403, "underage"
    )
    en = error(
        await http.post(GUEST, json=form(age=17), headers={"Accept-Language": "en-GB,en;q=0.8"}), 403, "underage"
    )
    assert fr["message"] == "Causerie est réservé aux adultes (18 ans ou plus)."
    assert en["message"] == "Causerie is for adults (18 or over)."
    taken_en = error(
        await http.post(GUEST, json=form("Аdmin"), headers={"Accept-Language": "en"}), 409, "nickname_reserved"
    )
    assert taken_en["message"] == "This nickname is reserved."


# -- registered accounts ----------------------------------------------------------------------------


async def test_register_from_guest_then_login_and_logout(http: httpx.AsyncClient) -> None:
    name = nick("Reg")
    guest = (await http.post(GUEST, json=form(name))).json()
    email = f"{name.lower()}@example.org"
    registered = await http.post(
        "/api/v1/accounts",
        json={"email": email, "password": PASSWORD},
        headers={"Authorization": f"Bearer {guest['token']}"},
    )
    assert registered.status_code == 201, registered.text
    me = registered.json()["me"]
    assert me["id"] == guest["me"]["id"]
    assert me["nick"] == name  # the guest's nickname is kept
    assert me["registered"] is True
    again = await http.post(
        "/api/v1/accounts",
        json={"email": "other" + email, "password": PASSWORD},
        headers={"Authorization": f"Bearer {registered.json()['token']}"},
    )
    error(again, 409, "already_registered")

    tokens = []
    for login in (name, name.upper(), email):
        response = await http.post("/api/v1/session/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, (login, response.text)
        assert response.json()["me"]["id"] == me["id"]
        assert "causerie_session=" in response.headers["set-cookie"]
        tokens.append(response.json()["token"])
    assert len(set(tokens)) == 3

    auth = {"Authorization": f"Bearer {tokens[0]}"}
    whoami = await http.get("/api/v1/session", headers=auth)
    assert whoami.json()["registered"] is True and whoami.json()["email"] == email
    assert (await http.delete("/api/v1/session", headers=auth)).status_code == 204
    error(await http.get("/api/v1/session", headers=auth), 401, "not_authenticated")
    # the other sessions are still valid
    assert (await http.get("/api/v1/session", headers={"Authorization": f"Bearer {tokens[1]}"})).status_code == 200


async def test_register_a_new_account_directly(http: httpx.AsyncClient) -> None:
    name = nick("New")
    response = await http.post(
        "/api/v1/accounts", json={**form(name), "email": f"{name}@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    assert response.json()["me"]["registered"] is True
    weak = await http.post("/api/v1/accounts", json={**form(), "email": f"{nick()}@example.org", "password": "short"})
    error(weak, 400, "password_weak")
    bad_mail = await http.post("/api/v1/accounts", json={**form(), "email": "not-an-email", "password": PASSWORD})
    error(bad_mail, 400, "email_invalid")
    taken = await http.post("/api/v1/accounts", json={**form(), "email": f"{name}@example.org", "password": PASSWORD})
    error(taken, 409, "email_taken")


async def test_wrong_password_and_unknown_account_look_the_same(http: httpx.AsyncClient) -> None:
    name = nick("Pw")
    await http.post("/api/v1/accounts", json={**form(name), "email": f"{name}@example.org", "password": PASSWORD})
    wrong = await http.post("/api/v1/session/login", json={"login": name, "password": PASSWORD + "!"})
    unknown = await http.post("/api/v1/session/login", json={"login": nick("Nobody"), "password": PASSWORD})
    unknown_mail = await http.post("/api/v1/session/login", json={"login": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == unknown_mail.status_code == 401
    assert wrong.content == unknown.content == unknown_mail.content
    assert wrong.json()["error"]["code"] == "login_failed"
    assert "set-cookie" not in wrong.headers


async def test_a_guest_cannot_log_in(http: httpx.AsyncClient) -> None:
    name = nick("G")
    await http.post(GUEST, json=form(name))
    error(await http.post("/api/v1/session/login", json={"login": name, "password": PASSWORD}), 401, "login_failed")


async def test_requests_without_a_session_are_refused(http: httpx.AsyncClient) -> None:
    error(await http.get("/api/v1/rooms"), 401, "not_authenticated")
    error(await http.get("/api/v1/rooms", headers={"Authorization": "Bearer nonsense"}), 401, "not_authenticated")


# -- meta, docs, operations -----------------------------------------------------------------------


async def test_meta(http: httpx.AsyncClient) -> None:
    body = (await http.get("/api/v1/meta")).json()
    codes = {r["code"] for r in body["regions"]}
    assert len(body["regions"]) >= 101
    assert {"01", "2A", "2B", "75", "95", "971", "976"} <= codes
    assert {g["code"] for g in body["genders"]} == {"f", "m", "nb", "x"}
    assert {c["code"] for c in body["categories"]} >= {"topic", "region", "age", "user"}
    assert body["limits"]["max_message_chars"] == 1000
    assert body["limits"]["min_age"] == 18
    english = (await http.get("/api/v1/meta", headers={"Accept-Language": "en"})).json()
    french = (await http.get("/api/v1/meta?lang=fr", headers={"Accept-Language": "en"})).json()
    assert {g["name"] for g in english["genders"]} >= {"Woman", "Man"}
    assert {g["name"] for g in french["genders"]} >= {"Femme", "Homme"}


async def test_openapi_lists_the_routes(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method in [
        ("/api/v1/session/guest", "post"),
        ("/api/v1/session/login", "post"),
        ("/api/v1/session", "delete"),
        ("/api/v1/accounts", "post"),
        ("/api/v1/meta", "get"),
        ("/api/v1/rooms", "post"),
        ("/api/v1/rooms/{slug}/messages", "get"),
        ("/api/v1/rooms/{slug}/invites", "post"),
        ("/api/v1/dms", "get"),
        ("/api/v1/blocks/{nick}", "put"),
        ("/api/v1/friends/{nick}", "put"),
        ("/api/v1/me/privacy", "put"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths.get(path, {}), path


async def test_health_readiness_and_metrics(http: httpx.AsyncClient) -> None:
    health = await http.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": True, "broker": True}
    metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "causerie_messages_stored_total" in metrics.text
    assert "causerie_connections" in metrics.text


async def test_security_headers_on_the_page(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";")}
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    api = await http.get("/api/v1/meta")
    assert api.headers["x-content-type-options"] == "nosniff"


async def test_unknown_path_is_a_json_404(http: httpx.AsyncClient) -> None:
    error(await http.get("/api/v1/nothing-here"), 404, "not_found")


async def test_cookie_authenticated_writes_need_the_csrf_header(http: httpx.AsyncClient) -> None:
    token = (await http.post(GUEST, json=form())).json()["token"]
    cookie = {"Cookie": f"causerie_session={token}"}
    room = {"name": nick("Csrf"), "topic": "", "kind": "public"}
    refused = await http.post("/api/v1/rooms", json=room, headers=cookie)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "bad_request"
    assert "CSRF" in refused.json()["error"]["message"]
    # reads with the cookie are fine, and so is the same write with the header
    assert (await http.get("/api/v1/rooms", headers=cookie)).status_code == 200
    allowed = await http.post("/api/v1/rooms", json=room, headers={**cookie, "X-Causerie-CSRF": "1"})
    assert allowed.status_code == 201, allowed.text
    # a bearer token is not sent by browsers on their own: no header needed
    bearer = await http.post(
        "/api/v1/rooms", json={**room, "name": nick("Csrf")}, headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 201, bearer.text
    logout = await http.delete("/api/v1/session", headers=cookie)
    assert logout.status_code == 400
