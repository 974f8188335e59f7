"""Operator tools over the engine: the JSON-lines check used by ``causerie safety check``.

May import: stdlib, ``causerie.safety.*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from causerie.safety.engine import ChatLine, SafetyEngine
from causerie.safety.rules import WHERE

__all__ = ["check_line", "check_lines"]


def _age(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        raise ValueError(f"{name} must be an integer from 0 to 130 or null")
    return value


def check_line(engine: SafetyEngine, line: str) -> dict[str, Any]:
    """The verdict for one input line ``{"text", "where", "sender_age", "recipient_age", "history"?}``.

    ``history`` (optional, DMs) is the conversation before the text: ``[{"by": "sender" |
    "recipient", "text": …}]``; with it, the post-send conversation analysis runs too. An ``id``
    in the input is echoed. A bad line gives ``{"error": …}`` instead of a verdict.
    """
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("each line must be a JSON object")
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("`text` (a string) is required")
        where = data.get("where", "room")
        if where not in WHERE:
            raise ValueError(f"`where` must be one of {sorted(WHERE)}")
        sender_age = _age(data.get("sender_age"), "sender_age")
        recipient_age = _age(data.get("recipient_age"), "recipient_age")
        account_age = data.get("account_age_seconds")
        if account_age is not None and not isinstance(account_age, int | float):
            raise ValueError("account_age_seconds must be a number or null")
        history = data.get("history", [])
        if not isinstance(history, list) or not all(
            isinstance(h, dict) and isinstance(h.get("text"), str) and h.get("by") in ("sender", "recipient")
            for h in history
        ):
            raise ValueError('`history` must be a list of {"by": "sender"|"recipient", "text": …}')
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        out: dict[str, Any] = {"error": str(exc)}
    else:
        verdict = engine.check_text(
            text, where, sender_age=sender_age, recipient_age=recipient_age, account_age_seconds=account_age
        )
        if history and where == "dm":
            window = [ChatLine(h["by"], h["text"]) for h in history] + [ChatLine("sender", text)]
            verdict = verdict.merge(
                engine.analyse_dm(
                    window, sender_age=sender_age, recipient_age=recipient_age, account_age_seconds=account_age
                )
            )
        out = verdict.to_dict()
        if "id" in data:
            out = {"id": data["id"], **out}
    return out


def check_lines(engine: SafetyEngine, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One result per non-blank input line, in order."""
    for line in lines:
        if line.strip():
            yield check_line(engine, line)
