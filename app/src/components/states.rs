//! Empty, loading and error states, so no page is ever just blank.

use leptos::prelude::*;

#[component]
pub fn EmptyState(
    title: &'static str,
    #[prop(into)] detail: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <div class="empty-icon" aria-hidden="true">"∅"</div>
            <h2>{title}</h2>
            <p>{detail}</p>
            {children.map(|c| c())}
        </div>
    }
}

#[component]
pub fn ErrorState(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div class="error-state" role="alert">
            <h2>"Something went wrong"</h2>
            <p>{message}</p>
            <a class="button" href="">"Try again"</a>
        </div>
    }
}

/// Placeholder rows shown while a table loads.
#[component]
pub fn LoadingRows(columns: usize) -> impl IntoView {
    (0..6)
        .map(|_| {
            view! {
                <tr class="loading-row" aria-hidden="true">
                    {(0..columns).map(|_| view! { <td><span class="shimmer"></span></td> }).collect_view()}
                </tr>
            }
        })
        .collect_view()
}
