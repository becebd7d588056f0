//! What the web app knows, without the browser: presets, the settings it offers, links, and
//! the driver that paces a simulation frame by frame. Compiled and tested natively too.

pub mod driver;
pub mod embed;
pub mod export;
pub mod knobs;
pub mod link;
pub mod pacing;
pub mod presets;
