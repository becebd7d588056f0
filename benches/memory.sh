#!/usr/bin/env bash
# Peak memory (maximum resident set size) of the native runner on the baseline at 50 000
# requests/s for 60 virtual seconds: with the default 30 s client and 60 s gateway timeouts,
# memory that followed rate x timeout would reach hundreds of MB; it follows the work in flight.
#   benches/memory.sh [path/to/outage-lab]    (default: a release build of this checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release --locked --quiet --bin outage-lab)
  bin="$root/target/release/outage-lab"
fi
scenario=$(mktemp --suffix=.json)
trap 'rm -f "$scenario"' EXIT
python3 - "$root/scenarios/baseline.json" "$scenario" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["traffic"]["rate"] = [{"kind": "constant", "rps": 50000}]
s["duration_s"] = 60
json.dump(s, open(sys.argv[2], "w"))
PY
if [ -x /usr/bin/time ]; then
  # GNU time reads the runner's own peak (a fork from Python would count Python's pages too).
  /usr/bin/time -v "$bin" run "$scenario" 2>&1 >/dev/null | grep -E 'Maximum resident|User time|System time'
  "$bin" run "$scenario" | head -1
else
  python3 - "$bin" "$scenario" <<'PY'
import json, resource, subprocess, sys
out = subprocess.run([sys.argv[1], "run", sys.argv[2], "--json"], check=True, capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
summary = json.loads(out.stdout)
print(f"{summary['attempts']['arrived']} attempts, {summary['events']} events "
      f"(+{summary.get('events_skipped', 0)} skipped)")
print(f"peak memory {usage.ru_maxrss / 1024:.1f} MB (includes about 9 MB of the Python fork), "
      f"CPU {usage.ru_utime + usage.ru_stime:.2f} s")
PY
fi
