"""Web security: cross-site WebSocket hijacking, session cookies, CSRF on every cookie-authenticated
write, the CSP and security headers on every HTML page, and no secret or message in the logs."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
import websockets

from support.client import Client, enter_guest
from support.names import nick
from support.server import LiveServer

from .conftest import log_text

GUEST = "/api/v1/session/guest"


def form(**fields: Any) -> dict[str, Any]:
    return {"nickname": nick("w"), "age": 30, "gender": "f", "region": "75", "accept_rules": True, **fields}


# -- cross-site WebSocket hijacking ----------------------------------------------------------------


async def cookie_handshake(server: LiveServer, token: str, origin: str) -> dict[str, Any]:
    """Open /ws as a browser would: session cookie, Origin header, hello without a token."""
    async with websockets.connect(
        server.ws_url,
        origin=websockets.Origin(origin),
        additional_headers={"Cookie": f"causerie_session={token}"},
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        first: dict[str, Any] = json.loads(str(await ws.recv()).split("\n")[0])
        return first


async def test_a_cross_site_handshake_with_a_valid_cookie_is_refused(live_server: LiveServer) -> None:
    token = (await enter_guest(live_server.base_url, nick("cs")))["token"]
    for evil in (
        "https://evil.example",
        "null",  # sandboxed frames, file: pages
        live_server.base_url.replace("http://", "https://"),  # another scheme
        live_server.base_url.rsplit(":", 1)[0] + ":1",  # another port
        live_server.base_url + ".evil.example",
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await cookie_handshake(live_server, token, evil)
        assert refused.value.response.status_code == 403, evil
    # the same handshake from the server's own page is accepted and authenticated by the cookie
    welcome = await cookie_handshake(live_server, token, live_server.base_url)
    assert welcome["type"] == "welcome"


# -- cookies ------------------------------------------------------------------------------------------


def session_cookie(response: httpx.Response) -> dict[str, Any]:
    header = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "causerie_session" in v)
    morsel = SimpleCookie(header)["causerie_session"]
    flags = {k.lower() for k in re.split(r";\s*", header)[1:]}
    return {"morsel": morsel, "flags": flags, "header": header}


async def test_session_cookies_are_httponly_lax_and_secure_behind_tls(
    live_server: LiveServer, hardened: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        plain = session_cookie(await http.post(GUEST, json=form()))
        # behind a TLS-terminating proxy (trusted): X-Forwarded-Proto says https
        tls = session_cookie(await http.post(GUEST, json=form(), headers={"X-Forwarded-Proto": "https"}))
    for cookie in (plain, tls):
        assert cookie["morsel"]["httponly"] is True
        assert cookie["morsel"]["samesite"].lower() == "lax"
        assert cookie["morsel"]["path"] == "/"
    assert "secure" not in plain["flags"]
    assert "secure" in tls["flags"]
    # cookie_secure=true (the hardened server): Secure even over plain HTTP, on every answer that sets it
    password = "une phrase de passe assez longue"
    name = nick("Ck")
    async with httpx.AsyncClient(base_url=hardened.base_url) as http:
        responses = [
            await http.post(GUEST, json=form()),
            await http.post(
                "/api/v1/accounts", json={**form(nickname=name), "email": f"{name}@example.org", "password": password}
            ),
            await http.post("/api/v1/session/login", json={"login": name, "password": password}),
        ]
    for response in responses:
        cookie = session_cookie(response)
        assert response.status_code in (200, 201)
        assert "secure" in cookie["flags"] and "httponly" in cookie["flags"]
        assert cookie["morsel"]["samesite"].lower() == "lax"


# -- CSRF ---------------------------------------------------------------------------------------------

# Entry points that need no session: nothing to forge with a victim's cookie.
NO_SESSION = {("post", "/api/v1/session/guest"), ("post", "/api/v1/session/login"), ("post", "/api/v1/reports/public")}
# trusted flaggers' notices authenticate with an API key in the Authorization header only (never a
# cookie), which a cross-site form cannot set: no CSRF exposure (issue 7B, docs/legal.md)
NO_SESSION.add(("post", "/api/v1/notices"))


async def test_every_cookie_authenticated_write_needs_the_csrf_header(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
        writes = [
            (method, path)
            for path, operations in paths.items()
            for method in operations
            if method in ("post", "put", "patch", "delete") and (method, path) not in NO_SESSION
        ]
        assert len(writes) >= 15
        token = (await http.post(GUEST, json=form())).json()["token"]
        http.cookies.clear()
        for method, path in writes:
            url = re.sub(r"\{[^}]*_id\}", "1", path)
            url = re.sub(r"\{[^}]+\}", "x", url)
            response = await http.request(method.upper(), url, json={}, headers={"Cookie": f"causerie_session={token}"})
            assert response.status_code == 400, (method, path, response.status_code, response.text[:200])
            assert "CSRF" in response.json()["error"]["message"], (method, path)
        # the session is intact (DELETE /session was refused too)
        assert (await http.get("/api/v1/session", headers={"Cookie": f"causerie_session={token}"})).status_code == 200


async def test_a_cross_site_form_cannot_enter_or_log_in(live_server: LiveServer) -> None:
    """HTML forms can only send form-encoded, multipart or text/plain bodies: all refused."""
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        for response in (
            await http.post(GUEST, data={k: str(v) for k, v in form().items()}),
            await http.post(GUEST, content=json.dumps(form()), headers={"Content-Type": "text/plain"}),
            await http.post(
                "/api/v1/session/login",
                content=json.dumps({"login": "x", "password": "y" * 20}),
                headers={"Content-Type": "text/plain"},
            ),
        ):
            assert response.status_code == 400
            assert "set-cookie" not in response.headers


# -- CSP and security headers -------------------------------------------------------------------------

REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


async def test_every_html_response_has_a_strict_csp_and_the_security_headers(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        html_paths = ["/", "/static/index.html"]
        static = [m.group(1) for m in re.finditer(r'(?:src|href)="(/static/[^"]+)"', (await http.get("/")).text)]
        checked = 0
        for path in html_paths + static + ["/api/v1/meta", "/healthz", "/api/v1/nothing"]:
            response = await http.get(path)
            headers = response.headers
            assert headers["x-content-type-options"] == "nosniff", path
            if not headers.get("content-type", "").startswith("text/html"):
                continue
            checked += 1
            directives = {
                d.strip().split(" ", 1)[0]: d.strip().split(" ", 1)[1]
                for d in headers["content-security-policy"].split(";")
            }
            for name, value in REQUIRED_CSP.items():
                assert directives.get(name) == value, (path, name, directives.get(name))
            assert (
                "unsafe-inline" not in directives.get("script-src", "")
                and "unsafe-eval" not in headers["content-security-policy"]
            )
            assert headers["x-frame-options"] == "DENY", path
            assert headers["referrer-policy"] == "no-referrer", path
        assert checked >= len(html_paths)


async def test_no_api_explorer_page_only_the_generated_openapi_document(live_server: LiveServer) -> None:
    """Swagger UI and ReDoc need scripts from a CDN that the CSP blocks: they are not served (a
    404, not a page that cannot work); /openapi.json, generated from the routes, is."""
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert not response.headers.get("content-type", "").startswith("text/html"), path
            assert "cdn" not in response.text.lower(), path
        document = await http.get("/openapi.json")
    assert document.status_code == 200 and document.headers["content-type"] == "application/json"
    paths = document.json()["paths"]
    assert {"/api/v1/session/guest", "/api/v1/session/login", "/api/v1/rooms"} <= set(paths)


# -- logs ---------------------------------------------------------------------------------------------


async def test_no_secret_token_password_or_message_in_info_logs(hardened: LiveServer) -> None:
    """The hardened server logs at info level; everything secret here carries a unique marker."""
    marker = uuid.uuid4().hex[:12]
    password = f"Mot-de-passe-{marker}-secret"
    email = f"logs-{marker}@example.org"
    message = f"message-{marker}-confidentiel"
    name = nick("Lg")
    async with httpx.AsyncClient(base_url=hardened.base_url) as http:
        registered = await http.post(
            "/api/v1/accounts", json={**form(nickname=name), "email": email, "password": password}
        )
        assert registered.status_code == 201
        token = registered.json()["token"]
        await http.post("/api/v1/session/login", json={"login": email, "password": password + "x"})  # refused
        login = await http.post("/api/v1/session/login", json={"login": email, "password": password})
        second_token = login.json()["token"]
    alice = Client(hardened.base_url, token, registered.json()["me"])
    await alice.connect()
    bob = await Client.enter(hardened.base_url, nick("Lb"))
    try:
        await alice.join("accueil")
        await bob.join("accueil")
        ack = await alice.say("accueil", message)
        await bob.expect("message", seq=ack["seq"])
        await alice.dm(bob.nick, f"prive {message}")
        assert alice.ws is not None
        await alice.ws.send('{"type": "send", "room": "accueil", "text": "' + message + '" ')  # a bad frame
        await alice.expect("error")
    finally:
        await alice.close()
        await bob.close()
    # a forged token in a hello, and the bearer token in an HTTP header
    async with websockets.connect(hardened.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1, "token": f"forged-{marker}"}))
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    async with httpx.AsyncClient(base_url=hardened.base_url, headers={"Authorization": f"Bearer {second_token}"}) as h:
        await h.get("/api/v1/session")
    await asyncio.sleep(0.3)  # let the server write its last lines
    log = log_text(hardened)
    assert "causerie ready" in log  # info lines are there...
    for secret in (marker, token, second_token, password, email):
        assert secret not in log, f"{secret!r} appears in the server log"  # ...but none of these
