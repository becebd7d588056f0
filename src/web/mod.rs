//! The web app (compiled to wasm only).
pub fn start() {}
