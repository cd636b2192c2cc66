//! Command-line interface. Every flag also reads a `RECALL_*` variable, so
//! the same binary is configured by flags locally and by env in production.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "recall",
    version,
    about = "Keeps campaign interaction data hot while it matters."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Defaults to `serve`, which is what `cargo leptos watch` runs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory for the SQLite database, long-term storage and the mail outbox.
    #[arg(long, global = true, env = "RECALL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database URL; defaults to `sqlite://<data-dir>/recall.db`.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, env = "RECALL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Long-term storage: a directory or `file:///path`; defaults to
    /// `<data-dir>/archive`.
    #[arg(long, global = true, env = "RECALL_ARCHIVE_URL")]
    pub archive_url: Option<String>,
    /// SMTP server for email (`smtp://user:pass@host:587`, `smtps://...`,
    /// `smtp://127.0.0.1:2525?tls=none`); without it mail goes to
    /// `<data-dir>/outbox` as `.eml` files.
    #[arg(long, global = true, env = "RECALL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of Recall's email.
    #[arg(
        long,
        global = true,
        env = "RECALL_MAIL_FROM",
        default_value = "Recall <recall@localhost>"
    )]
    pub mail_from: String,
    /// The dashboard's public address, for links in email.
    #[arg(long, global = true, env = "RECALL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a restore worker holds a job without progress before
    /// another worker (or this one after a restart) takes it over.
    #[arg(long, global = true, env = "RECALL_RESTORE_LEASE", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(5..=86_400))]
    pub restore_lease: u64,
    /// Seconds a command, or an expiry pass of the server, keeps retrying
    /// writes while another process holds the database's write lock (a
    /// `recall expire` beside a busy `recall serve`), before giving up.
    #[arg(long, global = true, env = "RECALL_BUSY_WAIT", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub busy_wait: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard, the REST API and the background work.
    Serve(ServeArgs),
    /// Fill the workspace with data.
    Seed(SeedArgs),
    /// Add dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Run one expiry pass now (or preview it with --dry-run).
    Expire(ExpireArgs),
    /// Workspace settings.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Restore expired interaction data: some messages or every message
    /// with a tag.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["message", "tag"])))]
pub struct RestoreArgs {
    #[arg(long, default_value = "default")]
    pub workspace: String,
    /// Message id; repeat for several.
    #[arg(long)]
    pub message: Vec<i64>,
    /// Every message carrying this tag, campaigns and Canvases.
    #[arg(long)]
    pub tag: Option<String>,
    /// Who gets the completion email.
    #[arg(long)]
    pub notify: Option<String>,
    /// Only show what would be restored (messages, rows, bytes, time).
    #[arg(long)]
    pub preview: bool,
    /// Do the work here and return when the batch has ended (without it,
    /// a running `recall serve` picks the jobs up).
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// Evaluate as if it were this time (RFC 3339), to preview what will
    /// expire later.
    #[arg(long, value_parser = parse_time)]
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// List what would expire and why; move nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Show each workspace with its retention window.
    List,
    /// Set how long stopped messages keep their data hot: a number of
    /// calendar months, or `never`.
    SetRetention {
        #[arg(long, default_value = "default")]
        workspace: String,
        /// Months (1-120) or `never`.
        #[arg(long)]
        months: String,
    },
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-05-01T00:00:00Z: {e}"))
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (or reset their password and role). The password is read
    /// from stdin when piped, otherwise generated and printed once.
    Add {
        #[arg(long)]
        email: String,
        /// viewer, editor or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it once; only its hash is stored.
    Create {
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: ingest, read, manage.
        #[arg(long, value_delimiter = ',', default_value = "ingest,read,manage")]
        scopes: Vec<String>,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Revoke a key; requests with it are refused from then on.
    Revoke {
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at startup).
    #[arg(long, env = "RECALL_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Seed the demo workspace on first run.
    #[arg(long, env = "RECALL_DEMO")]
    pub demo: bool,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "RECALL_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace: u64,
    /// Seconds between expiry passes; 0 turns the scheduler off (run
    /// `recall expire` from cron instead).
    #[arg(long, env = "RECALL_EXPIRY_INTERVAL", default_value_t = 300)]
    pub expiry_interval: u64,
    /// Seconds a stopped or killed process keeps the scheduler and mail
    /// delivery from the other `recall serve` processes on the same
    /// database before one of them takes over; the leader renews at a
    /// third of it.
    #[arg(long, env = "RECALL_LEADER_LEASE", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(5..=86_400))]
    pub leader_lease: u64,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Create the demo data set (hundreds of campaigns, dozens of Canvases).
    #[arg(long)]
    pub demo: bool,
    /// Workspace to seed.
    #[arg(long, default_value = "default")]
    pub workspace: String,
}
