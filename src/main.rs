//! Outage Lab: the native command-line runner, or (compiled to wasm) the web app.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {
    outage_lab::web::start();
}
