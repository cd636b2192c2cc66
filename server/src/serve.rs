//! `recall serve`: open the database, seed on first run if asked, serve
//! until SIGTERM/SIGINT, then drain in-flight requests within a grace period.

use std::time::Duration;

use recall::clock::Clock;
use recall::engine::{Actor, Engine};
use recall::types::Role;

const DEMO_ADMIN: &str = "admin@demo.recall.dev";
const DEMO_VIEWER: &str = "viewer@demo.recall.dev";
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cli::{GlobalArgs, ServeArgs};
use crate::commands::CommandResult;
use crate::http::{AppState, router};
use crate::site::leptos_options;

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> CommandResult {
    let mut config = crate::engine::config(global, &format!("http://{}", args.addr));
    config.leader_lease = Duration::from_secs(args.leader_lease);
    let clock = Clock::system();
    let engine = Engine::open(config, clock).await?;
    let now = engine.now();
    let ws = engine.ensure_workspace("default", "Default", now).await?;
    if args.demo {
        let operator = Actor::cli(ws);
        let created = engine.seed_demo(&operator, now).await?;
        if created > 0 {
            tracing::info!(created, "seeded demo workspace");
        }
        let password = match std::env::var("RECALL_DEMO_PASSWORD") {
            Ok(p) => p,
            Err(_) => crate::commands::generate_password(),
        };
        for (email, role) in [(DEMO_ADMIN, Role::Admin), (DEMO_VIEWER, Role::Viewer)] {
            engine
                .add_user(&operator, email, &password, role, now)
                .await?;
        }
        println!(
            "Demo sign-in: {DEMO_ADMIN} (admin) or {DEMO_VIEWER} (viewer), password: {password}"
        );
    }

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    let app = router(AppState::new(engine.clone(), leptos_options(addr)));

    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracker.spawn(watch_signals(shutdown.clone()));
    let expiry_every =
        (args.expiry_interval > 0).then(|| Duration::from_secs(args.expiry_interval));
    crate::background::spawn(&tracker, &shutdown, &engine, expiry_every);

    // The one line operators and scripts look for.
    println!("Recall is running at http://{addr}");
    tracing::info!(
        %addr,
        data_dir = %global.data_dir.display(),
        database = engine.database(),
        storage = engine.describe_storage(),
        mail = %engine.describe_mail(),
        "listening"
    );

    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server =
        axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let grace = Duration::from_secs(args.shutdown_grace);
    tokio::select! {
        result = server => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("grace period over; dropping remaining connections");
        }
    }
    tracker.close();
    tracker.wait().await;
    tracing::info!("stopped");
    Ok(())
}

async fn watch_signals(shutdown: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
        () = shutdown.cancelled() => return,
    }
    tracing::info!("shutdown requested");
    shutdown.cancel();
}
