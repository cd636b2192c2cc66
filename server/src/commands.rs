//! One-shot subcommands. They open the same database as a running server
//! and hold no cache, so their changes show up there at once.

use std::time::{Duration, Instant};

use chrono::Utc;
use recall::service::patience::Patience;
use recall::store::Db;

use recall::store::Scope;

use crate::cli::{ApiKeyCommand, GlobalArgs, SeedArgs, UserCommand};

pub type CommandResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Opens the database and makes sure the `default` workspace exists, so a
/// first command on a new data directory works whichever it is.
/// Both wait out a server that keeps the write lock busy (`--busy-wait`).
pub async fn open_db(global: &GlobalArgs) -> Result<Db, recall::Error> {
    let deadline = Patience::new(Duration::from_secs(global.busy_wait)).starting_now();
    let db = deadline
        .retry("open the database", || async {
            match &global.database_url {
                Some(url) => Db::connect(url).await,
                None => Db::open_in_dir(&global.data_dir).await,
            }
        })
        .await?;
    deadline
        .retry("create the default workspace", || {
            db.ensure_workspace("default", "Default", Utc::now())
        })
        .await?;
    Ok(db)
}

pub async fn seed(global: &GlobalArgs, args: SeedArgs) -> CommandResult {
    if !args.demo {
        return Err("nothing to seed: pass --demo for the demo data set".into());
    }
    let db = open_db(global).await?;
    let now = Utc::now();
    let ws = db
        .ensure_workspace(&args.workspace, &args.workspace, now)
        .await?;
    let created = recall::seed::seed_demo(&db, &ws, now).await?;
    if created == 0 {
        println!(
            "workspace {:?} already has messages; nothing seeded",
            ws.slug
        );
    } else {
        println!("seeded {created} messages into workspace {:?}", ws.slug);
    }
    Ok(())
}

pub async fn apikey(global: &GlobalArgs, cmd: ApiKeyCommand) -> CommandResult {
    let db = open_db(global).await?;
    let now = Utc::now();
    match cmd {
        ApiKeyCommand::Create {
            workspace,
            name,
            scopes,
        } => {
            let ws = db.workspace_by_slug(&workspace).await?;
            let scopes = scopes
                .iter()
                .map(|s| Scope::parse(s))
                .collect::<Result<Vec<_>, _>>()?;
            let (key, secret) = db.create_api_key(&ws, &name, &scopes, now).await?;
            let scope_names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            let detail = format!("key {} {:?} ({})", key.id, key.name, scope_names.join(","));
            db.audit(Some(ws.id), "cli", "apikey.created", &detail, now)
                .await?;
            eprintln!(
                "created API key {} ({:?}) in workspace {:?}; it is shown only once:",
                key.id, key.name, ws.slug
            );
            println!("{secret}");
        }
        ApiKeyCommand::List { workspace } => {
            let ws = db.workspace_by_slug(&workspace).await?;
            println!(
                "{:<6} {:<24} {:<10} {:<22} {:<20} status",
                "id", "name", "prefix", "scopes", "last used"
            );
            for key in db.list_api_keys(&ws).await? {
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
            let ws = db.workspace_by_slug(&workspace).await?;
            db.revoke_api_key(&ws, id, now).await?;
            db.audit(
                Some(ws.id),
                "cli",
                "apikey.revoked",
                &format!("key {id}"),
                now,
            )
            .await?;
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
    let db = open_db(global).await?;
    let now = Utc::now();
    let ws = db.ensure_workspace(&workspace, &workspace, now).await?;
    let (password, generated) = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        (generate_password(), true)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    };
    recall::service::auth::add_user(&db, &ws, &email, &password, role, now).await?;
    eprintln!("user {email} is {role} in workspace {:?}", ws.slug);
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
    let engine = crate::engine::Engine::open(global, "http://127.0.0.1:3000")
        .await
        .map_err(|e| gave_up_if_busy(e, wait))?;
    let now = args.as_of.unwrap_or_else(Utc::now);
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
    let sent = match recall::service::mail::deliver_pending(&engine.db, &engine.mailer, Utc::now())
        .await
    {
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
        engine.mailer.describe()
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
    let db = open_db(global).await?;
    match cmd {
        crate::cli::WorkspaceCommand::List => {
            for ws in db.list_workspaces().await? {
                let retention = match ws.retention.months() {
                    Some(m) => format!("{m} month(s)"),
                    None => "never".into(),
                };
                println!("{}\t{}\tretention {retention}", ws.slug, ws.name);
            }
        }
        crate::cli::WorkspaceCommand::SetRetention { workspace, months } => {
            let ws = db.workspace_by_slug(&workspace).await?;
            let months = match months.as_str() {
                "never" => None,
                n => Some(n.parse::<u32>().map_err(|_| {
                    recall::Error::invalid("months must be a number from 1 to 120, or never")
                })?),
            };
            db.set_retention(&ws, months).await?;
            let text = months.map_or("never".to_string(), |m| format!("{m} month(s)"));
            db.audit(Some(ws.id), "cli", "workspace.retention", &text, Utc::now())
                .await?;
            println!("workspace {:?}: retention {text}", ws.slug);
        }
    }
    Ok(())
}

pub async fn restore(global: &GlobalArgs, args: crate::cli::RestoreArgs) -> CommandResult {
    use recall::service::restore::Requester;
    let engine = crate::engine::Engine::open(global, "http://127.0.0.1:3000").await?;
    let ws = engine.db.workspace_by_slug(&args.workspace).await?;
    let request = recall::types::RestoreRequest {
        message_ids: args.message,
        tag: args.tag,
        notify: args.notify,
    };
    let restorer = engine.restorer();
    if args.preview {
        let p = restorer.preview(&ws, &request).await?;
        println!(
            "would restore {} message(s): {} rows, {} bytes, about {} s",
            p.messages, p.rows, p.bytes, p.estimated_seconds
        );
        for skip in &p.skipped {
            println!("skip {}: {}", skip.message_id, skip.reason);
        }
        return Ok(());
    }
    let requester = Requester {
        actor: "cli".into(),
        email: None,
    };
    let mut batch = restorer
        .request(&ws, &request, &requester, Utc::now())
        .await?;
    println!("restore {} queued: {} job(s)", batch.id, batch.jobs.len());
    for skip in &batch.skipped {
        println!("skip {}: {}", skip.message_id, skip.reason);
    }
    if !args.wait {
        return Ok(());
    }
    while batch.finished_at.is_none() {
        if restorer.run_once(Utc::now()).await?.is_none() {
            // Another process holds the remaining jobs; follow its progress.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        batch = engine.db.restore_batch(&ws, batch.id).await?;
    }
    recall::service::mail::deliver_pending(&engine.db, &engine.mailer, Utc::now()).await?;
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
