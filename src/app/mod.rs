//! What the web app knows, without the browser: the page as a reducer ([`page`]) over the A/B
//! pair of runs ([`ab`]) and the driver that paces each frame by frame ([`driver`]); presets,
//! settings, faults, links, embedding, readouts, charts and exports. Compiled and tested
//! natively too; `web` only renders it and carries out its effects.

pub mod ab;
pub mod challenges;
pub mod charts;
pub mod drills;
pub mod driver;
pub mod embed;
pub mod export;
pub mod faults;
pub mod guide;
pub mod knobs;
pub mod link;
pub mod operator;
pub mod pacing;
pub mod page;
pub mod presets;
pub mod progress;
pub mod quiz;
pub mod readouts;
pub mod report;
pub mod strategies;
pub mod sweep;
pub mod theory;
pub mod words;
