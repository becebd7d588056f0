//! Outage Lab's native test suite: one binary, topical modules.

mod app;
mod challenges;
mod cli;
mod closed_loop;
mod common;
mod determinism;
mod drills;
mod frames;
mod fuzz;
mod gen_fixtures;
mod golden;
mod guides;
mod hostile;
mod house;
mod invariants;
mod lessons;
mod live_fix;
mod page;
mod queueing;
mod quiz;
mod seed_incident;
mod settings;
mod theme;
mod validation;
