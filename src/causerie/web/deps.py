"""FastAPI dependencies shared by the routes: services, the current account, language.

May import: fastapi, ``causerie.services``, ``causerie.web.security``, ``causerie.errors``, ``causerie.domain``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from causerie.domain.entities import Account
from causerie.errors import CauserieError, ErrorCode
from causerie.services.container import Services
from causerie.web.security import CSRF_HEADER, SESSION_COOKIE, bearer_token

# The dependencies are ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a hand-off
# per request that cost more CPU than the guest entry's own work (docs/performance.md).


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def request_lang(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    if header[:2].lower() in ("fr", "en"):
        return header[:2].lower()
    default: str = request.app.state.services.settings.default_lang
    return default


def session_token(request: Request) -> tuple[str | None, bool]:
    """(token, from_cookie). A bearer token wins over the cookie."""
    token = bearer_token(request.headers)
    if token is not None:
        return token, False
    return request.cookies.get(SESSION_COOKIE), True


async def optional_account(request: Request) -> Account | None:
    token, from_cookie = session_token(request)
    if token is None:
        return None
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS") and CSRF_HEADER not in request.headers:
        # a cross-site form cannot set a custom header: cookie-authenticated writes must carry it
        raise CauserieError(ErrorCode.BAD_REQUEST, "missing X-Causerie-CSRF header")
    account: Account | None = await request.app.state.services.accounts.authenticate(token)
    return account


async def current_account(request: Request, account: Annotated[Account | None, Depends(optional_account)]) -> Account:
    if account is None:
        raise CauserieError(ErrorCode.NOT_AUTHENTICATED)
    # a banned account keeps its session only to read its statements of reasons and appeal
    # (web.routes.moderation); everything else refuses it with `banned` and until when
    request.app.state.services.moderation.check_connect(account)
    return account


def client_address(request: Request) -> tuple[str | None, int | None]:
    """The client's IP address and source port (uvicorn takes them from a trusted proxy's headers)."""
    if request.client is None:
        return None, None
    return request.client.host, request.client.port


ServicesDep = Annotated[Services, Depends(services)]
AccountDep = Annotated[Account, Depends(current_account)]
OptionalAccountDep = Annotated[Account | None, Depends(optional_account)]
LangDep = Annotated[str, Depends(request_lang)]
