#!/usr/bin/env bash
# Runs the same M/M/8 model in Outage Lab's engine (native, release) and in SimPy, and prints
# requests simulated per wall-clock second for each and their ratio. Not part of the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SIMPY_VERSION=4.1.1
python3 -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null \
  || python3 -m pip install --quiet "simpy==$SIMPY_VERSION"
cargo build --release --locked --quiet
best() { # best of 3 runs of a command printing JSON with arrived, events and wall_ms
  for _ in 1 2 3; do "$@"; done | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps(min(runs, key=lambda r: r["wall_ms"])))'
}
ours=$(best ./target/release/outage-lab run scenarios/mmc.json --json)
theirs=$(best python3 benches/simpy_mmc.py 7)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def rates(r):
    s = r["wall_ms"] / 1000.0
    return r["attempts"]["arrived"] / s if "attempts" in r else r["arrived"] / s, r["events"] / s
o_req, o_ev = rates(ours)
t_req, t_ev = rates(theirs)
print(f"outage-lab: {o_req:,.0f} requests/s, {o_ev:,.0f} events/s, queue wait {ours['queue_wait_ms']['mean']:.3f} ms")
print(f"{theirs['tool']}: {t_req:,.0f} requests/s, {t_ev:,.0f} events/s, queue wait {theirs['queue_wait_ms_mean']:.3f} ms")
print(f"ratio (requests simulated per wall second): {o_req / t_req:.1f}x")
print(f"ratio (events per wall second, each tool counting its own): {o_ev / t_ev:.1f}x")
PY
