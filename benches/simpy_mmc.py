"""The M/M/c model of scenarios/mmc.json written in SimPy, for a speed comparison.

One server pool of c = 8 workers, Poisson arrivals at 600/s, exponential service with mean
10 ms, an unbounded queue, 600 simulated seconds. Prints one JSON object: customers served,
events SimPy scheduled, wall time, and the mean queue wait (to check both models agree).
"""
import json
import random
import sys
import time

import simpy


def run(seed: int, duration_s: float = 600.0, lam: float = 600.0, mu: float = 100.0, c: int = 8):
    env = simpy.Environment()
    workers = simpy.Resource(env, capacity=c)
    rng = random.Random(seed)
    stats = {"arrived": 0, "started": 0, "wait_s": 0.0}

    def customer(env):
        arrived = env.now
        with workers.request() as req:
            yield req
            stats["started"] += 1
            stats["wait_s"] += env.now - arrived
            yield env.timeout(rng.expovariate(mu))

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(lam))
            stats["arrived"] += 1
            env.process(customer(env))

    env.process(source(env))
    started = time.perf_counter()
    env.run(until=duration_s)
    wall_s = time.perf_counter() - started
    events = next(env._eid)  # SimPy numbers every event it schedules
    return {
        "tool": "simpy " + simpy.__version__,
        "arrived": stats["arrived"],
        "events": events,
        "wall_ms": wall_s * 1000.0,
        "queue_wait_ms_mean": 1000.0 * stats["wait_s"] / max(stats["started"], 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
