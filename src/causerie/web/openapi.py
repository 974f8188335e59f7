"""What the generated OpenAPI document says about errors, so that it matches what the server sends.

May import: pydantic.

Every refusal has the same envelope (``web.app`` maps ``CauserieError`` to it), whatever its status,
so each API route declares it once as its ``default`` response: clients and schemathesis
(tests/fuzz/test_openapi.py) can then check every error body against the schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable error code (src/causerie/errors.py), e.g. `rate_limited`.")
    message: str = Field(description="Text to show, in the language of Accept-Language (fr or en).")
    retry_after: float | None = Field(None, description="Seconds to wait before retrying (rate limits).")


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "default": {
        "model": ErrorEnvelope,
        "description": "A refusal: 400 bad request, 401 not signed in, 403 forbidden, 404 not found, "
        "409 conflict, 413 body too large, 429 rate limited (with Retry-After), 503 unavailable.",
    }
}
