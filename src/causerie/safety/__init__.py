"""Automated safety: pure analysers that return verdicts (allow / flag / hold / block + evidence).

May import: ``causerie.domain``, ``causerie.clock``, the standard library, ``pyahocorasick`` and
``phonenumbers``. Never a service, the storage or a transport: callers act on the verdicts.

    SafetyEngine(SafetyConfig.from_settings(settings), clock=clock)
      .check_text(text, where, sender_age=, recipient_age=, account_age_seconds=) -> Verdict   pre-send
      .check_nickname(name) / .check_room_name(name)                                    -> Verdict   pre-send
      .post_send(sender, text, recipient=, room=, window=[ChatLine…], …)                 -> Verdict   post-send
      .analyse_dm(window, …) / .observe(sender, text, …)                                 -> Verdict   post-send parts
      .reload() / .reload_if_changed()                                                   operator rules, no restart
      .risk.score(user, at)                                                              decaying risk score
"""

from causerie.safety.engine import ChatLine, SafetyConfig, SafetyEngine, Where
from causerie.safety.rules import RuleError
from causerie.safety.verdict import ALLOW, CATEGORIES, Action, Category, Evidence, Verdict

__all__ = [
    "ALLOW",
    "CATEGORIES",
    "Action",
    "Category",
    "ChatLine",
    "Evidence",
    "RuleError",
    "SafetyConfig",
    "SafetyEngine",
    "Verdict",
    "Where",
]
