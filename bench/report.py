#!/usr/bin/env python3
"""Tables from the benchmark results (bench/results/SCENARIO.jsonl, one JSON object per run).

    python bench/report.py bench/results [--scenario fanout-1x500]

For each scenario and target, the latest run is shown; ratios are against the other targets of
the same file (measured side by side on the same machine).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ORDER = ["causerie", "naive", "inspircd", "ngircd"]


def sync_mode(r: dict[str, Any]) -> str:
    return next((a.split("=", 1)[1] for a in r.get("argv", []) if "SQLITE_SYNCHRONOUS" in a), "FULL")


def latest(path: Path, by_sync: bool = False) -> dict[str, dict[str, Any]]:
    """The latest run per target (per target and SQLite mode with ``by_sync``)."""
    out: dict[str, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            key = (
                f"{r['target']} (synchronous={sync_mode(r)})" if by_sync and r["target"] == "causerie" else r["target"]
            )
            out[key] = r

    def order(key: str) -> tuple[int, str]:
        base = key.split(" ", 1)[0]
        return (ORDER.index(base) if base in ORDER else 99, key)

    return {k: out[k] for k in sorted(out, key=order)}


def num(v: Any, fmt: str = "{:,.0f}") -> str:
    if v is None or v != v:
        return "—"
    return fmt.format(v)


def fanout(scenario: str, runs: dict[str, dict[str, Any]]) -> None:
    print(f"\n### {scenario}\n")
    print(
        "| target | saturation deliveries/s | × naive | deliveries per server-CPU-s | p50 / p99 at 50 % sat. (ms) "
        "| p50 / p99 at 50,000/s (ms) | server CPU at sat. | peak RSS (MB) | lost | other CPU |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    naive = runs.get("naive", {}).get("ramp", {}).get("saturation_deliveries_per_s")
    for target, r in runs.items():
        ramp = r.get("ramp") or {}
        sat = ramp.get("saturation_deliveries_per_s")
        at = ramp.get("at_saturation") or {}
        half = r.get("hold_half_saturation") or {}
        fixed = r.get("hold_fixed") or {}
        ratio = f"{sat / naive:.2f}" if sat and naive else "—"
        gen = " (generator-bound)" if ramp.get("generator_bound") else ""
        if ramp and not ramp.get("reached_failure", True):
            gen += " (≥: no failing step)"
        others = [w.get("other_cpu") for w in (at, half, fixed) if w.get("other_cpu") is not None]
        print(
            f"| {target} | {num(sat)}{gen} | {ratio} | {num(at.get('deliveries_per_cpu_s'))} "
            f"| {num(half.get('p50_ms'), '{:.1f}')} / {num(half.get('p99_ms'), '{:.1f}')} "
            f"| {num(fixed.get('p50_ms'), '{:.1f}')} / {num(fixed.get('p99_ms'), '{:.1f}')} "
            f"| {num(at.get('server_cpu'), '{:.2f}')} "
            f"| {num(r.get('server_peak_rss_mb'), '{:.0f}')} | {r.get('lost_connections', '—')} "
            f"| {num(max(others) if others else None, '{:.2f}')} |"
        )


def idle(runs: dict[str, dict[str, Any]]) -> None:
    print("\n### idle-10k\n")
    print(
        "| target | connections | bytes per connection | bytes per client incl. guest entry | RSS start → idle (MB) "
        "| connect+enter+join (s) | lost |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target, r in runs.items():
        i = r.get("idle") or {}
        short = i.get("setup_incomplete")
        partial = f" of {short['of']:,} (stopped at {short['seconds']:.0f} s)" if short else ""
        print(
            f"| {target} | {num(i.get('connections'))}{partial} | {num(i.get('bytes_per_connection'))} "
            f"| {num(i.get('bytes_per_client_incl_entry'))} | {num(i.get('rss_start_mb'), '{:.0f}')} → "
            f"{num(i.get('rss_idle_mb'), '{:.0f}')} | {'> ' if short else ''}{num(i.get('setup_seconds'), '{:.1f}')} | {i.get('lost', '—')} |"
        )


def durability(runs: dict[str, dict[str, Any]]) -> None:
    print("\n### durability\n")
    print(
        "| target | acknowledged messages/s | per server-CPU-s | deliveries/s | server CPU | errors | lost | other CPU |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target, r in runs.items():
        d = r.get("durability") or {}
        note = r.get("skipped")
        if note:
            print(f"| {target} | n/a ({note}) | | | | | | |")
            continue
        print(
            f"| {target} | {num(d.get('acks_per_s'))} "
            f"| {num(d['acks_per_s'] / d['server_cpu'] if d.get('server_cpu') else None)} | {num(d.get('deliveries_per_s'))} "
            f"| {num(d.get('server_cpu'), '{:.2f}')} | {d.get('errors', '—')} | {d.get('lost', '—')} "
            f"| {num(d.get('other_cpu'), '{:.2f}')} |"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="?", default=str(Path(__file__).resolve().parent / "results"))
    p.add_argument("--scenario")
    args = p.parse_args()
    root = Path(args.results)
    for scenario in ("fanout-1x500", "fanout-50x20", "idle-10k", "durability"):
        if args.scenario and scenario != args.scenario:
            continue
        path = root / f"{scenario}.jsonl"
        if not path.exists():
            continue
        runs = latest(path, by_sync=scenario == "durability")
        if scenario.startswith("fanout"):
            fanout(scenario, runs)
        elif scenario == "idle-10k":
            idle(runs)
        else:
            durability(runs)


if __name__ == "__main__":
    main()
