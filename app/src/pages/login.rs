//! The sign-in page: a plain HTML form, so it works before (and without)
//! the WASM bundle.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("invalid") => Some("Wrong email or password."),
            Some("locked") => Some("Too many failed attempts. Try again in 15 minutes."),
            Some(_) => Some("Sign-in is unavailable right now. Try again shortly."),
            None => None,
        })
    };
    let next = move || query.with(|q| q.get("next").unwrap_or_else(|| "/campaigns".into()));
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <form class="card login-card" method="post" action="/login">
                <div class="brand login-brand">
                    <span class="brand-mark" aria-hidden="true">"R"</span>
                    <span class="brand-name">"Recall"</span>
                </div>
                <h1>"Sign in"</h1>
                {move || error().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
                <input type="hidden" name="next" prop:value=next/>
                <label class="field">
                    <span>"Email"</span>
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="button wide">"Sign in"</button>
            </form>
        </main>
    }
}
