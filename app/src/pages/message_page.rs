//! The landing page of one message: what it is, where its data stands,
//! and analytics that never expire.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use recall::types::{Aggregates, DailyPoint, MessageDetail, MessageKind, VariantStats};

use crate::api::{get_message, get_message_chart, get_viewer};
use crate::components::{
    AudiencePanel, DataBanner, DataStateBadge, ErrorState, StatusBadge, TagList,
};
use crate::format;

#[component]
pub fn MessagePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())));
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_message(id).await,
                None => Err(ServerFnError::new("message not found")),
            }
        },
    );
    let chart = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_message_chart(id).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let viewer = Resource::new(|| (), |_| get_viewer());
    // After a pin or unpin the page reloads its data; the Transition keeps
    // showing the old page until the new one is ready.
    let reload = Callback::new(move |()| detail.refetch());
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_edit = viewer.await.is_ok_and(|v| v.can_edit());
                match detail.await {
                    Ok(message) => view! { <MessageView message chart can_edit reload/> }.into_any(),
                    Err(err) => view! {
                        <Title text="Not found"/>
                        <ErrorState message=err.to_string()/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MessageView(
    message: MessageDetail,
    chart: Resource<Result<Vec<DailyPoint>, ServerFnError>>,
    can_edit: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let s = message.summary.clone();
    let back = match s.kind {
        MessageKind::Campaign => ("/campaigns", "Campaigns"),
        MessageKind::Canvas => ("/canvases", "Canvases"),
    };
    view! {
        <Title text=s.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <A href=back.0>{back.1}</A>
            <span aria-hidden="true">" / "</span>
            <span aria-current="page">{s.name.clone()}</span>
        </nav>
        <header class="page-header">
            <div>
                <h1 data-testid="message-name">{s.name.clone()}</h1>
                <p class="subtitle">
                    <StatusBadge status=s.status/>
                    " "
                    <span class="kind">{format!("{} · {}", s.kind.noun(), s.channel.as_str())}</span>
                    " "
                    <TagList tags=s.tags.clone()/>
                </p>
            </div>
        </header>
        <DataBanner message=message.clone() can_edit on_change=reload/>
        <section class="card">
            <h2>"Details"</h2>
            <dl class="facts">
                <dt>"Created"</dt><dd>{format::date_time(message.summary.created_at)}</dd>
                <dt>"Started"</dt><dd>{message.started_at.map(format::date_time).unwrap_or_else(|| "Never".into())}</dd>
                <dt>"Stopped"</dt><dd>{message.stopped_at.map(format::date_time).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Last activity"</dt><dd>{format::date_time(message.summary.last_activity_at)}</dd>
                <dt>"Data"</dt><dd><DataStateBadge state=s.data_state expires_at=s.expires_at/></dd>
            </dl>
            {(!message.description.is_empty()).then(|| view! { <p class="description">{message.description.clone()}</p> })}
        </section>
        <AudiencePanel message_id=s.id kind=s.kind status=s.status can_edit/>
        <section class="card">
            <h2>"Performance"</h2>
            <p class="hint">"Aggregates never expire, whatever happens to per-user data."</p>
            <StatsTable totals=message.aggregates.clone() rows=message.by_variant.clone()/>
            <Transition fallback=|| view! { <p class="loading">"Loading chart…"</p> }>
                {move || Suspend::new(async move {
                    let points = chart.await.unwrap_or_default();
                    view! { <ActivityChart points/> }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn StatsTable(totals: Aggregates, rows: Vec<VariantStats>) -> impl IntoView {
    if totals.received == 0 && totals.control == 0 {
        return view! { <p class="muted">"No interactions recorded yet."</p> }.into_any();
    }
    let row = |label: String, a: &Aggregates| {
        view! {
            <tr>
                <th scope="row">{label}</th>
                <td>{format::count(a.received)}</td>
                <td>{format::count(a.unique_opens)}<small>{format!(" {}", format::percent(a.rate(a.unique_opens)))}</small></td>
                <td>{format::count(a.unique_clicks)}<small>{format!(" {}", format::percent(a.rate(a.unique_clicks)))}</small></td>
                <td>{format::count(a.conversions)}<small>{format!(" {}", format::percent(a.rate(a.conversions)))}</small></td>
                <td>{format::count(a.control)}</td>
            </tr>
        }
    };
    view! {
        <table class="table stats">
            <thead>
                <tr>
                    <th scope="col">"Variant / step"</th>
                    <th scope="col">"Received"</th>
                    <th scope="col">"Unique opens"</th>
                    <th scope="col">"Unique clicks"</th>
                    <th scope="col">"Conversions"</th>
                    <th scope="col">"Control"</th>
                </tr>
            </thead>
            <tbody>
                {rows.iter().map(|r| {
                    let label = match (&r.variant, &r.step) {
                        (Some(v), Some(s)) => format!("{v} · {s}"),
                        (Some(v), None) => v.clone(),
                        (None, Some(s)) => s.clone(),
                        (None, None) => "(no variant)".to_string(),
                    };
                    row(label, &r.totals)
                }).collect_view()}
            </tbody>
            <tfoot>{row("Total".to_string(), &totals)}</tfoot>
        </table>
    }
    .into_any()
}

/// Received and unique opens per day, drawn as server-rendered SVG.
#[component]
fn ActivityChart(points: Vec<DailyPoint>) -> impl IntoView {
    if points.is_empty() {
        return ().into_any();
    }
    let (w, h, pad) = (720.0_f64, 180.0_f64, 24.0_f64);
    let max = points
        .iter()
        .map(|p| p.totals.received.max(p.totals.unique_opens))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let step = if points.len() > 1 {
        (w - 2.0 * pad) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let line = |value: fn(&Aggregates) -> i64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{:.1},{:.1}",
                    pad + i as f64 * step,
                    h - pad - value(&p.totals) as f64 / max * (h - 2.0 * pad)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = points
        .first()
        .map(|p| p.day.to_string())
        .unwrap_or_default();
    let last = points.last().map(|p| p.day.to_string()).unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label="Received and unique opens per day">
                <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis"/>
                <polyline points=line(|a| a.received) class="series received"/>
                <polyline points=line(|a| a.unique_opens) class="series opens"/>
                <text x=pad y=h - 4.0 class="tick">{first}</text>
                <text x=w - pad y=h - 4.0 class="tick end">{last}</text>
            </svg>
            <figcaption>
                <span class="key received">"Received"</span>
                <span class="key opens">"Unique opens"</span>
            </figcaption>
        </figure>
    }
    .into_any()
}
