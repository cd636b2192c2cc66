//! Waiting for typing to settle before asking the server.

use std::time::Duration;

use leptos::prelude::*;

/// Follows `source`, but only once it has stayed the same for `ms`
/// milliseconds: live counts and searches ask once per pause, not once per
/// keystroke. Starts at `source`'s current value.
pub fn debounce<T>(source: impl Fn() -> T + Send + Sync + 'static, ms: u64) -> ReadSignal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let (settled, set_settled) = signal(untrack(&source));
    let generation = StoredValue::new(0_u64);
    // Effects run only in the browser, where timers exist.
    Effect::new(move |_| {
        let value = source();
        let Some(mine) = generation.try_update_value(|g| {
            *g += 1;
            *g
        }) else {
            return;
        };
        set_timeout(
            move || {
                // A newer value restarted the wait, or the component is gone.
                if generation.try_get_value() == Some(mine)
                    && settled.try_get_untracked().is_some_and(|old| old != value)
                {
                    set_settled.try_set(value);
                }
            },
            Duration::from_millis(ms),
        );
    });
    settled
}
