//! Outage Lab: the web app over the simulation engine (`outage-lab-engine`).
//!
//! [`app`] holds what the page knows without a browser (presets, settings, links, pacing) and
//! is tested natively; `web` (wasm only) renders it with Yew.

#![warn(missing_docs)]

pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod web;
