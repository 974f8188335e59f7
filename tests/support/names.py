"""Nicknames for tests on a shared server: unique, and never reserved by accident.

``support.client.unique_nick`` uses hex digits, which the skeleton reads as letters (``a1de`` is
``aide``, a reserved word), so once in a while it draws a refused nickname. These suffixes use
consonants that map to no vowel, so no reserved word can appear in them.
"""

from __future__ import annotations

import secrets

_ALPHABET = "bcdfghjkmnpqrstvwxz"  # no vowel, no "l" (read as "i")


def nick(prefix: str = "u", length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
