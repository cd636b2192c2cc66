//! One-shot subcommands. They open the same database as a running server
//! and hold no cache, so their changes show up there at once.

use std::time::{Duration, Instant};

use recall::engine::{Actor, Engine, Scope};
use recall::service::patience::Patience;

use crate::cli::{ApiKeyCommand, GlobalArgs, SeedArgs, UserCommand};

pub type CommandResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The operator at the command line, acting in the workspace `slug`.
async fn operator(engine: &Engine, slug: &str) -> Result<Actor, recall::Error> {
    Ok(Actor::cli(engine.workspace(slug).await?))
}

pub async fn seed(global: &GlobalArgs, args: SeedArgs) -> CommandResult {
    if !args.demo {
        return Err("nothing to seed: pass --demo for the demo data set".into());
    }
    let engine = crate::engine::open(global).await?;
    let now = engine.now();
    let ws = engine
        .ensure_workspace(&args.workspace, &args.workspace, now)
        .await?;
    let slug = ws.slug.clone();
    let created = engine.seed_demo(&Actor::cli(ws), now).await?;
    if created == 0 {
        println!("workspace {slug:?} already has messages; nothing seeded");
    } else {
        println!("seeded {created} messages into workspace {slug:?}");
    }
    Ok(())
}

pub async fn apikey(global: &GlobalArgs, cmd: ApiKeyCommand) -> CommandResult {
    let engine = crate::engine::open(global).await?;
    let now = engine.now();
    match cmd {
        ApiKeyCommand::Create {
            workspace,
            name,
            scopes,
        } => {
            let actor = operator(&engine, &workspace).await?;
            let scopes = scopes
                .iter()
                .map(|s| Scope::parse(s))
                .collect::<Result<Vec<_>, _>>()?;
            let (key, secret) = engine.create_api_key(&actor, &name, &scopes, now).await?;
            eprintln!(
                "created API key {} ({:?}) in workspace {:?}; it is shown only once:",
                key.id,
                key.name,
                actor.workspace().slug
            );
            println!("{secret}");
        }
        ApiKeyCommand::List { workspace } => {
            let actor = operator(&engine, &workspace).await?;
            println!(
                "{:<6} {:<24} {:<10} {:<22} {:<20} status",
                "id", "name", "prefix", "scopes", "last used"
            );
            for key in engine.list_api_keys(&actor).await? {
                let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
                let used = key
                    .last_used_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "never".into());
                let status = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<6} {:<24} {:<10} {:<22} {:<20} {status}",
                    key.id,
                    key.name,
                    key.prefix,
                    scopes.join(","),
                    used
                );
            }
        }
        ApiKeyCommand::Revoke { workspace, id } => {
            let actor = operator(&engine, &workspace).await?;
            engine.revoke_api_key(&actor, id, now).await?;
            println!("revoked API key {id}");
        }
    }
    Ok(())
}

pub async fn user(global: &GlobalArgs, cmd: UserCommand) -> CommandResult {
    let UserCommand::Add {
        email,
        role,
        workspace,
    } = cmd;
    let role: recall::types::Role = role.parse()?;
    let engine = crate::engine::open(global).await?;
    let now = engine.now();
    let ws = engine.ensure_workspace(&workspace, &workspace, now).await?;
    let (password, generated) = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        (generate_password(), true)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    };
    let slug = ws.slug.clone();
    engine
        .add_user(&Actor::cli(ws), &email, &password, role, now)
        .await?;
    eprintln!("user {email} is {role} in workspace {slug:?}");
    if generated {
        println!("{password}");
    }
    Ok(())
}

/// 20 random characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn expire(global: &GlobalArgs, args: crate::cli::ExpireArgs) -> CommandResult {
    // One deadline for the whole command: what opening the database spent
    // waiting for the write lock is not granted again to the pass.
    let started = Instant::now();
    let wait = Duration::from_secs(global.busy_wait);
    let engine = crate::engine::open(global)
        .await
        .map_err(|e| gave_up_if_busy(e, wait))?;
    let now = args.as_of.unwrap_or_else(|| engine.now());
    let expiry = engine
        .expiry("cli")
        .with_patience(Patience::new(wait.saturating_sub(started.elapsed())));
    if args.dry_run {
        let due = expiry.due(now).await?;
        if due.is_empty() {
            println!("nothing would expire as of {}", now.to_rfc3339());
        }
        for m in &due {
            println!(
                "would expire {}/{} {:?}: {} hot rows; {}",
                m.workspace, m.id, m.name, m.hot_rows, m.reason
            );
        }
        return Ok(());
    }
    let report = expiry
        .tick(now)
        .await
        .map_err(|e| gave_up_if_busy(e, wait))?;
    for m in &report.moved {
        let how = match (m.appended, m.written) {
            (true, _) => "late events appended",
            (false, false) => "archive reused, nothing rewritten",
            (false, true) => "written",
        };
        println!(
            "expired {}/{}: {} rows, {} segment(s), {} bytes ({how})",
            m.workspace, m.id, m.rows, m.segments, m.bytes
        );
    }
    for (id, error) in &report.failed {
        println!("failed {id}: {error}");
    }
    let sent = match engine.deliver_mail(engine.now()).await {
        Ok(delivery) => delivery.sent,
        // Queued mail stays queued: the server, or the next pass,
        // delivers it.
        Err(recall::Error::Busy) => 0,
        Err(e) => return Err(e.into()),
    };
    println!(
        "{} expired, {} deferred, {} failed, {} orphaned object(s) removed, {} warning(s) queued, {} mail(s) sent via {}",
        report.moved.len(),
        report.deferred.len(),
        report.failed.len(),
        report.orphans_removed,
        report.warnings_queued,
        sent,
        engine.describe_mail()
    );
    if report.gave_up_waiting {
        return Err(gave_up(wait).into());
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} message(s) could not be expired", report.failed.len()).into())
    }
}

fn gave_up_if_busy(e: recall::Error, wait: Duration) -> Box<dyn std::error::Error + Send + Sync> {
    match e {
        recall::Error::Busy => gave_up(wait).into(),
        other => other.into(),
    }
}

/// What an operator needs when the pass could not get the database.
fn gave_up(wait: Duration) -> String {
    format!(
        "gave up after waiting {} s for the database's write lock, which another process \
         (such as a busy `recall serve`) kept taken. Nothing was lost: what this pass did not \
         do is left as it was, and the next pass (or the server's own scheduler) does it. \
         Run it again later, or wait longer with --busy-wait SECONDS",
        wait.as_secs()
    )
}

pub async fn workspace(global: &GlobalArgs, cmd: crate::cli::WorkspaceCommand) -> CommandResult {
    let engine = crate::engine::open(global).await?;
    match cmd {
        crate::cli::WorkspaceCommand::List => {
            for ws in engine.list_workspaces().await? {
                let retention = match ws.retention.months() {
                    Some(m) => format!("{m} month(s)"),
                    None => "never".into(),
                };
                println!("{}\t{}\tretention {retention}", ws.slug, ws.name);
            }
        }
        crate::cli::WorkspaceCommand::SetRetention { workspace, months } => {
            let actor = operator(&engine, &workspace).await?;
            let months = match months.as_str() {
                "never" => None,
                n => Some(n.parse::<u32>().map_err(|_| {
                    recall::Error::invalid("months must be a number from 1 to 120, or never")
                })?),
            };
            engine.set_retention(&actor, months, engine.now()).await?;
            let text = months.map_or("never".to_string(), |m| format!("{m} month(s)"));
            println!("workspace {:?}: retention {text}", actor.workspace().slug);
        }
    }
    Ok(())
}

pub async fn restore(global: &GlobalArgs, args: crate::cli::RestoreArgs) -> CommandResult {
    let engine = crate::engine::open(global).await?;
    let actor = operator(&engine, &args.workspace).await?;
    let request = recall::types::RestoreRequest {
        message_ids: args.message,
        tag: args.tag,
        notify: args.notify,
    };
    if args.preview {
        let p = engine.preview_restore(&actor, &request).await?;
        println!(
            "would restore {} message(s): {} rows, {} bytes, about {} s",
            p.messages, p.rows, p.bytes, p.estimated_seconds
        );
        for skip in &p.skipped {
            println!("skip {}: {}", skip.message_id, skip.reason);
        }
        return Ok(());
    }
    let mut batch = engine
        .request_restore(&actor, &request, engine.now())
        .await?;
    println!("restore {} queued: {} job(s)", batch.id, batch.jobs.len());
    for skip in &batch.skipped {
        println!("skip {}: {}", skip.message_id, skip.reason);
    }
    if !args.wait {
        return Ok(());
    }
    let worker = engine.restore_worker();
    while batch.finished_at.is_none() {
        if worker.run_once(engine.now()).await?.is_none() {
            // Another process holds the remaining jobs; follow its progress.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        batch = engine.restore(&actor, batch.id).await?;
    }
    engine.deliver_mail(engine.now()).await?;
    let mut failed = 0;
    for job in &batch.jobs {
        println!(
            "{} {} {:?}: {} of {} rows{}",
            job.status,
            job.message_id,
            job.message_name,
            job.rows_loaded,
            job.rows_total,
            job.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        failed += usize::from(job.status == recall::types::JobStatus::Failed);
    }
    if failed > 0 {
        return Err(format!("{failed} restore job(s) failed").into());
    }
    Ok(())
}
