"""DSA transparency: statements of reasons as EU Transparency Database records (JSON lines), and the
figures of a transparency report (arts. 15 and 24) as JSON and as a readable HTML page.

May import: ``causerie.domain``, ``causerie.storage.legal``, ``causerie.clock``, ``causerie.config``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from typing import Any

from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.legal import dsa_record, figures
from causerie.services.evidence import iso
from causerie.storage.legal import LegalStore

# art. 23 suspensions are the automated actions of the misuse-strike ledger (migration 0005)
MISUSE_SOURCE = "moderation_actions: suspend_reports (dsa.misuse_notices), ban (dsa.misuse_content)"


class TransparencyService:
    def __init__(self, store: LegalStore, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

    async def records(self, start: float, end: float) -> list[dict[str, Any]]:
        rows = await self._store.transparency_rows(start, end)
        scope = self._settings.transparency_territorial_scope
        return [dsa_record(st, platform="Causerie", territorial_scope=scope) for st in rows["statements"]]

    async def json_lines(self, start: float, end: float) -> Iterator[str]:
        return (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in await self.records(start, end))

    async def report(self, start: float, end: float) -> dict[str, Any]:
        rows = await self._store.transparency_rows(start, end)
        out = figures(rows, start=start, end=end, misuse_source=MISUSE_SOURCE)
        out["period"] = {"from": iso(start), "to": iso(end)}
        out["generated_at"] = iso(self._clock.now())
        return out


def _rows(table: Mapping[str, Any]) -> str:
    return "".join(
        f"<tr><th scope=row>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in table.items()
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def render_html(report: Mapping[str, Any]) -> str:
    """The transparency report as one self-contained HTML page (every value escaped)."""
    n, a, t, ap, m = (
        report["notices"],
        report["actions"],
        report["time_to_action_seconds"],
        report["appeals"],
        report["misuse_suspensions"],
    )
    period = report["period"]
    sections = [
        ("Notices received by category", n["by_category"]),
        ("Notices received by source", n["by_source"]),
        ("Actions taken by type", a["by_type"]),
        ("Actions taken by ground", a["by_ground"]),
        ("Actions taken by rule", a["by_rule"]),
        (
            "Automated means",
            {
                "share of notices from automated detection": n["automated_share"],
                "automated decisions": a["automated_decisions"],
                "share of automated decisions": a["automated_decision_share"],
                "share of statements with automated detection": a["automated_detection_share"],
            },
        ),
        (
            "Time from notice to action",
            {"cases acted on": t["cases"], "median": _duration(t["median"])},
        ),
        (
            "Appeals (internal complaint handling, art. 20)",
            {
                "received": ap["received"],
                "still open": ap["open"],
                "decision upheld": ap["upheld"],
                "decision reversed": ap["reversed"],
                "median time to decide": _duration(ap["median_decision_seconds"]),
            },
        ),
        (
            "Suspensions for misuse (art. 23)",
            {
                "total": m["total"],
                "notice handling suspended (art. 23(2))": m["notices"],
                "service suspended for manifestly illegal content (art. 23(1))": m["content"],
            },
        ),
    ]
    body = "".join(
        f"<section><h2>{html.escape(title)}</h2><table>{_rows(table) or '<tr><td>none</td></tr>'}</table></section>"
        for title, table in sections
    )
    title = f"Causerie — transparency report {period['from']} – {period['to']}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}"
        "td{text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>Regulation (EU) 2022/2065 (Digital Services Act), arts. 15 and 24. Generated "
        f"{html.escape(str(report.get('generated_at', '')))}. Notices: {int(n['total'])}; "
        f"actions: {int(a['total'])}; statements of reasons: {int(a['statements_of_reasons'])}.</p>"
        f"{body}</body></html>\n"
    )
