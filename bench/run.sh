#!/usr/bin/env bash
# One command per figure of docs/performance.md.
#
#   bench/run.sh fanout-1x500 [TARGET...]   1 room × 500 clients: saturation, p99 at 50 % of it, p99 at 50,000/s
#   bench/run.sh fanout-50x20 [TARGET...]   50 rooms × 20 clients: the same three figures
#   bench/run.sh idle-10k [TARGET...]       10,000 idle connections: bytes per connection, time to connect+enter+join
#   bench/run.sh durability [TARGET...]     closed-loop senders, SQLite synchronous=FULL: acknowledged messages/s
#   bench/run.sh all                        all of the above (about 20 minutes on an idle machine)
#   bench/run.sh report                     print the tables from bench/results/*.jsonl
#   bench/run.sh soak [soak.py flags]       honest users chatting while a flood and garbage hit the server
#
# TARGETs: causerie naive inspircd ngircd (default: all four, or $BENCH_TARGETS). The IRC peers need
# `bench/peers.sh install` once. Each target gets a fresh server, pinned to core 0; the generator
# runs pinned to core 1. Results are appended to bench/results/SCENARIO.jsonl, then the table of
# the latest run of each target is printed. Extra loadgen flags: $BENCH_ARGS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${BENCH_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
RESULTS="${BENCH_RESULTS:-$HERE/results}"
mkdir -p "$RESULTS"
# 10,000 connections need more than the default 1,024 descriptors (the server inherits this)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true

scenario="${1:-}"
shift || true
if [ "$scenario" = "report" ]; then
    exec "$PY" "$HERE/report.py" "$RESULTS"
fi
if [ "$scenario" = "soak" ]; then  # honest users under attack (docs/performance.md, "Soak")
    exec taskset -c "${BENCH_GEN_CPU:-1}" "$PY" "$HERE/soak.py" --json "$RESULTS/soak.jsonl" "$@"
fi
if [ "$scenario" = "all" ]; then
    for s in fanout-1x500 fanout-50x20 idle-10k durability; do
        "$0" "$s" "$@"
    done
    exec "$PY" "$HERE/report.py" "$RESULTS"
fi
case "$scenario" in
    fanout-1x500 | fanout-50x20 | idle-10k | durability) ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    read -r -a targets <<<"${BENCH_TARGETS:-causerie naive inspircd ngircd}"
fi
if [ "$scenario" = "durability" ] && [ $# -eq 0 ]; then
    targets=(causerie)  # nothing else persists or acknowledges
fi

for target in "${targets[@]}"; do
    case "$target" in
        inspircd | ngircd)
            if ! [ -x "/usr/sbin/$target" ]; then
                echo "== $target is not installed (bench/peers.sh install); skipped" >&2
                continue
            fi
            ;;
    esac
    echo "== $scenario / $target"
    # shellcheck disable=SC2086
    taskset -c "${BENCH_GEN_CPU:-1}" "$PY" "$HERE/loadgen.py" --target "$target" --scenario "$scenario" \
        --json "$RESULTS/$scenario.jsonl" ${BENCH_ARGS:-} >"$RESULTS/$scenario-$target.log" 2>&1 || {
        echo "!! $scenario / $target failed; see $RESULTS/$scenario-$target.log" >&2
        tail -5 "$RESULTS/$scenario-$target.log" >&2
        continue
    }
    grep -E '^\[' "$RESULTS/$scenario-$target.log" | tail -n 4
done
"$PY" "$HERE/report.py" "$RESULTS" --scenario "$scenario"
