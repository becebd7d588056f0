//! # Outage Lab engine
//!
//! A deterministic discrete-event simulation of one web service under load: a load balancer,
//! instances with an accept queue and a worker thread pool, a cache, a database connection pool
//! and a database with a fixed number of cores, and an upstream dependency behind timeouts.
//!
//! The engine knows nothing of browsers or wall clocks: a caller builds a [`Config`] from a
//! [`Scenario`] (validated at the boundary), creates a [`Simulation`], and advances it with
//! [`Simulation::step`] or [`Simulation::run_until`]. Same scenario and seed, same results,
//! bit for bit, on every target.
//!
//! ```
//! use outage_lab_engine::{load_scenario, Simulation};
//! let json = r#"{ "version": 1, "duration_s": 10,
//!   "traffic": { "rate": [ { "kind": "constant", "rps": 50 } ],
//!                "endpoints": [ { "name": "GET /", "weight": 1,
//!                  "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": 5 } } ] } ] } }"#;
//! let (_, config) = load_scenario(json).expect("valid");
//! let summary = Simulation::new(config).run_to_end();
//! assert_eq!(summary.attempts.arrived, summary.status.ok_200 + summary.attempts.in_flight_at_end);
//! ```

#![warn(missing_docs)]

pub mod breaker;
pub mod budget;
pub mod cache;
pub mod config;
pub mod database;
pub mod histogram;
pub mod limits;
pub mod metrics;
pub mod notice;
pub mod observe;
pub mod pool;
pub mod rng;
pub mod scenario;
pub mod settings;
pub mod sim;
pub mod snapshot;
pub mod summary;
pub mod time;
pub mod traffic;

pub use config::{load_scenario, parse_scenario, Config, Problem};
pub use metrics::{SecondMetrics, Status};
pub use notice::Notice;
pub use scenario::Scenario;
pub use sim::Simulation;
pub use summary::Summary;
pub use time::{SimDuration, SimTime};

/// The JSON Schema of the scenario format, pretty-printed.
pub fn scenario_json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
