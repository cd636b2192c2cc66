//! Where the compiled dashboard (WASM, JS, CSS, assets) is served from.
//!
//! cargo-leptos sets `LEPTOS_*` variables when it runs the binary; without
//! them the defaults match its output layout, so `target/release/recall
//! serve` works from the repository root with no extra setup.

use std::net::SocketAddr;

use leptos::config::{Env, LeptosOptions};

pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let var = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_string());
    let env = match var("LEPTOS_ENV", "PROD").to_ascii_lowercase().as_str() {
        "dev" | "development" => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "recall"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .env(env)
        .site_addr(addr)
        .build()
}
