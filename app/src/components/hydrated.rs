//! Knowing when the page is interactive.

use leptos::prelude::*;

/// False on the server and until the WASM has taken over the page, so
/// controls that need it can stay disabled instead of doing nothing.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
