//! The presets: the bundled scenarios, each with a short text of what to watch and which
//! setting fixes it, where it starts when picked, and its key moments.

use super::pacing::Speed;

/// A ready-made scenario and its lesson.
#[derive(Debug)]
pub struct Preset {
    /// Its id, as in links and file names (`scenarios/<id>.json`).
    pub id: &'static str,
    /// Its name in the picker.
    pub title: &'static str,
    /// The scenario file.
    pub scenario_json: &'static str,
    /// What to watch while it runs.
    pub watch: &'static str,
    /// What fixes it (or what it shows, for the healthy ones).
    pub fix: &'static str,
    /// The settings the fix is about, by knob id: the page highlights them.
    pub fix_knobs: &'static [&'static str],
    /// The preset showing the other side of the lesson, if any (broken and fixed).
    pub counterpart: Option<&'static str>,
    /// Opened from the picker (or on a first visit), the run is fast-forwarded to this time,
    /// a few seconds before the lesson's trigger, with the charts of the quiet start kept.
    pub start_s: f64,
    /// The speed it plays at when opened from the picker.
    pub speed: Speed,
    /// Whether the lesson compares retry strategies side by side.
    pub compares_strategies: bool,
    /// Captions at the lesson's key moments that no fault or breaker announces (a spike in
    /// the rate profile, "the spike is over"), by time in seconds.
    pub moments: &'static [(f64, &'static str)],
}

/// The preset a page without a link opens.
pub const DEFAULT_PRESET: &str = "baseline";

/// The preset a first visit (an address without a query) opens: an incident within seconds.
pub const FIRST_VISIT_PRESET: &str = "seed-incident";

/// Every preset, in the picker's order.
pub static PRESETS: &[Preset] = &[
    Preset {
        id: "baseline",
        title: "Healthy baseline",
        scenario_json: include_str!("../../scenarios/baseline.json"),
        watch: "Everything is green: about 300 requests/s, p99 well under a second, threads and pool connections mostly free. Learn what normal looks like, then inject a fault.",
        fix: "Nothing to fix. Try the fault buttons: a missing index, a hung gateway, a cache flush.",
        fix_knobs: &[],
        counterpart: None,
        start_s: 0.0,
        speed: Speed::Times(2.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "seed-incident",
        title: "Black Friday: pool exhaustion",
        scenario_json: include_str!("../../scenarios/seed-incident.json"),
        watch: "At 60 s queries slow to 30 s. Pool waiters pile up behind 10 connections, then every worker thread blocks, the accept queues overflow and almost every request fails, product pages included. No timeout ever fires, so the first logged error is a symptom: the accept queue refusing connections. The warnings before it name the cause: from 62 s HikariCP's leak detection flags connections held by the slow queries, the pool stats show requests waiting, and the database's slow-query log reports queries of tens of seconds.",
        fix: "Pool size 50, connection timeout 5 000 ms, statement timeout 10 000 ms, and a deep health check failing above 80 % pool use (the fixed preset).",
        fix_knobs: &[
            "db_pool.max_size",
            "db_pool.connection_timeout_ms",
            "database.query_timeout_ms",
            "load_balancer.health_check",
        ],
        counterpart: Some("seed-incident-fixed"),
        start_s: 50.0,
        speed: Speed::Times(2.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "seed-incident-fixed",
        title: "Black Friday: pool exhaustion, fixed",
        scenario_json: include_str!("../../scenarios/seed-incident-fixed.json"),
        watch: "The same slow queries. Requests that need the database now fail with 500 within about 15 s (a 5 s connection timeout, then a 10 s statement timeout) instead of waiting forever, so the threads never run out and cache hits keep being served: about 80 % of requests still succeed. The first logged error now names the pool (no connection within 5 s). Caveat: the deep health check watches a database every instance shares, so it fails on all of them: they leave rotation one by one, the last one briefly takes all the traffic (a burst of 502s), and the load balancer keeps serving only because it fails open. A deep check on a shared dependency can take the whole fleet out of rotation.",
        fix: "Set the connection timeout back to none to see the wall of failures return.",
        fix_knobs: &[
            "db_pool.max_size",
            "db_pool.connection_timeout_ms",
            "database.query_timeout_ms",
            "load_balancer.health_check.kind",
        ],
        counterpart: Some("seed-incident"),
        start_s: 50.0,
        speed: Speed::Times(2.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "upstream-hang",
        title: "Upstream hang, no timeout: the cascade",
        scenario_json: include_str!("../../scenarios/upstream-hang.json"),
        watch: "At 60 s the payment gateway stops answering. Checkouts hold their threads forever; within about 15 s every thread is stuck and product pages, which never call the gateway, fail too.",
        fix: "A read timeout (2 000 ms) and a circuit breaker: checkouts fail fast with 503 and the rest of the service lives.",
        fix_knobs: &["upstream.read_timeout_ms", "upstream.breaker"],
        counterpart: Some("upstream-hang-fixed"),
        start_s: 50.0,
        speed: Speed::Times(2.0),
        moments: &[(180.0, "The gateway answers again, but calls already hung stay hung: nothing ends them.")],
        compares_strategies: false,
    },
    Preset {
        id: "upstream-hang-fixed",
        title: "Upstream hang, with timeout and breaker",
        scenario_json: include_str!("../../scenarios/upstream-hang-fixed.json"),
        watch: "The same hang. Checkouts time out after 2 s, the breakers open (the lights turn red) and answer 503 at once; product pages never notice. After the gateway recovers, half-open trial calls close the breakers.",
        fix: "Turn the read timeout to none to see the cascade come back.",
        fix_knobs: &["upstream.read_timeout_ms", "upstream.breaker"],
        counterpart: Some("upstream-hang"),
        start_s: 50.0,
        speed: Speed::Times(2.0),
        moments: &[(180.0, "The gateway answers again: half-open trial calls test it.")],
        compares_strategies: false,
    },
    Preset {
        id: "cache-stampede",
        title: "Cache stampede on a hot key",
        scenario_json: include_str!("../../scenarios/cache-stampede.json"),
        watch: "Every 10 s the hot key expires and about 200 requests reload it from the database at once: watch the cache loads and DB queries spike on each expiry.",
        fix: "Stampede protection: coalescing or stale-while-revalidate cut each expiry to one load; probabilistic early refresh to a few.",
        fix_knobs: &["cache.stampede_protection"],
        counterpart: None,
        start_s: 0.0,
        speed: Speed::Times(1.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "retry-storm",
        title: "Retry storm that outlives its trigger",
        scenario_json: include_str!("../../scenarios/retry-storm.json"),
        watch: "A 30 s spike overloads the server; clients time out and retry at once. After the spike ends the retries keep the queue full: goodput stays at zero, amplification above 3.",
        fix: "A retry budget (or fewer attempts) ends the storm. Backoff with jitter spreads retries out, but with open-loop traffic every retry is still sent; with users who wait for their answers it does help (the next lesson).",
        fix_knobs: &["client.retry.budget", "client.retry.max_attempts"],
        counterpart: None,
        start_s: 20.0,
        speed: Speed::Times(2.0),
        moments: &[(30.0, "A traffic spike doubles the load for 30 s; clients time out and retry."), (60.0, "The spike is over. Does the service recover, or do the retries keep it down?")],
        compares_strategies: false,
    },
    Preset {
        id: "retry-storm-users",
        title: "Retry storm with real users: backoff decides",
        scenario_json: include_str!("../../scenarios/retry-storm-users.json"),
        watch: "3 500 users, each waiting for its answer before reading for about 5 s: 700 requests/s on a server of 1 000. From 30 s to 60 s the database runs at half speed; attempts time out after 1 s and are retried at once. Each user in trouble sends its 4 attempts within seconds, so the server gets about 2 000 attempts/s: the queue stays full of abandoned work and goodput stays at zero long after the database is fast again.",
        fix: "Capped exponential backoff with full jitter from a 2 000 ms base: each user spreads its attempts over about 12 s, the attempts fall below what the server serves and it recovers within about 15 s of the slowdown. Unlike open-loop traffic, these users wait, so backoff takes load off. Near a 1 450 ms base the outcome depends on the seed (bistable): try seeds 11 to 16. Deadline propagation (drop expired requests) ends it too, even with immediate retries: the server stops serving work nobody waits for.",
        fix_knobs: &["client.retry.backoff_base_ms", "client.retry.jitter"],
        counterpart: Some("retry-storm-users-backoff"),
        start_s: 20.0,
        speed: Speed::Times(2.0),
        moments: &[(60.0, "The database is fast again. Do the users' retries let the service recover?")],
        compares_strategies: false,
    },
    Preset {
        id: "retry-storm-users-backoff",
        title: "Retry storm with real users, with backoff and jitter",
        scenario_json: include_str!("../../scenarios/retry-storm-users-backoff.json"),
        watch: "The same users and the same 30 s slowdown, with capped exponential backoff (2 000 ms base, doubling, capped at 20 s) and full jitter: goodput falls during the slowdown and is back within about 15 s of its end.",
        fix: "Set the backoff base to 0 to bring the storm back, or to about 1 450 ms and change the seed: some seeds recover, others stay down.",
        fix_knobs: &["client.retry.backoff_base_ms", "client.retry.jitter"],
        counterpart: Some("retry-storm-users"),
        start_s: 20.0,
        speed: Speed::Times(2.0),
        moments: &[(60.0, "The database is fast again: the backed-off retries let the queue drain.")],
        compares_strategies: false,
    },
    Preset {
        id: "retry-contention",
        title: "Retries in contention: backoff and jitter",
        scenario_json: include_str!("../../scenarios/retry-contention.json"),
        watch: "About 75 clients hit one row lock within 20 ms; the server takes one write at a time and answers the rest 503. With no backoff they retry at once: thousands of calls hammer the lock and most clients run out of their 100 attempts. The table runs every strategy on this seed side by side: calls sent, clients who gave up, and when every client was done.",
        fix: "Exponential backoff, then jitter (full, equal or decorrelated): far fewer calls, every client succeeds, and the slowest finishes sooner. Pick a strategy in the table to run it.",
        fix_knobs: &["client.retry.backoff_base_ms", "client.retry.jitter"],
        counterpart: None,
        start_s: 0.0,
        speed: Speed::Times(0.25),
        moments: &[(1.0, "About 75 clients arrive within 20 ms and contend for the lock.")],
        compares_strategies: true,
    },
    Preset {
        id: "sick-instance",
        title: "Shallow vs deep health check",
        scenario_json: include_str!("../../scenarios/sick-instance.json"),
        watch: "At 30 s instance 2 loses its database. The shallow check keeps passing, so it keeps getting a quarter of the traffic and fails every request of it that needs the database; its box shows its own 5xx rate while the other three stay near 0 %.",
        fix: "Switch the check depth to deep: three failed probes later the instance leaves rotation and the errors stop.",
        fix_knobs: &["load_balancer.health_check.kind"],
        counterpart: None,
        start_s: 20.0,
        speed: Speed::Times(2.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "lying-200",
        title: "Lying 200s: swallowed errors",
        scenario_json: include_str!("../../scenarios/lying-200.json"),
        watch: "From 60 s the gateway fails 30 % of payments, but every error is answered with 200: the monitoring readout stays at 0 % 5xx and no alert fires, while the true 5xx rate is not zero.",
        fix: "Honest status codes: the 500s appear and the alert pages.",
        fix_knobs: &["error_handling"],
        counterpart: None,
        start_s: 50.0,
        speed: Speed::Times(2.0),
        moments: &[],
        compares_strategies: false,
    },
    Preset {
        id: "mmc",
        title: "M/M/c queue (queueing theory)",
        scenario_json: include_str!("../../scenarios/mmc.json"),
        watch: "A textbook M/M/8 at 75 % utilisation: the mean queue wait matches Erlang C (about 1.8 ms).",
        fix: "Raise the load towards 800 requests/s and watch the queue grow without bound as utilisation nears 100 %.",
        fix_knobs: &["traffic.rate", "instances.max_threads"],
        counterpart: None,
        start_s: 0.0,
        speed: Speed::Times(5.0),
        moments: &[],
        compares_strategies: false,
    },
];

/// A preset by id.
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}
