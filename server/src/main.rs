//! `recall`: the server and its operator commands.
//!
//! # Layout
//! - [`cli`]: flags and `RECALL_*` environment variables (clap).
//! - [`engine`]: the engine's configuration from those flags; the engine
//!   (`recall::engine::Engine`) is opened once and shared by everything
//!   below.
//! - [`serve`]: startup, graceful shutdown.
//! - [`background`]: the expiry scheduler, restore worker and mail loops.
//! - [`http`]: the axum router — dashboard, REST API, health. Handlers parse,
//!   call one engine use case and map the result.
//! - [`commands`]: the one-shot subcommands (`seed`, `expire`, `restore`, ...),
//!   the same way.
//! - [`site`]: where the compiled dashboard assets are.

mod background;
mod cli;
mod commands;
mod engine;
mod http;
mod serve;
mod site;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = cli::Cli::parse();
    if cli.command.is_none() {
        cli = cli::Cli::parse_from(std::env::args_os().chain(["serve".into()]));
    }
    init_tracing(&cli.global);
    let result = match cli.command {
        Some(cli::Command::Serve(args)) => serve::run(&cli.global, args).await,
        Some(cli::Command::Seed(args)) => commands::seed(&cli.global, args).await,
        Some(cli::Command::User(cmd)) => commands::user(&cli.global, cmd).await,
        Some(cli::Command::Apikey(cmd)) => commands::apikey(&cli.global, cmd).await,
        Some(cli::Command::Expire(args)) => commands::expire(&cli.global, args).await,
        Some(cli::Command::Workspace(cmd)) => commands::workspace(&cli.global, cmd).await,
        Some(cli::Command::Restore(args)) => commands::restore(&cli.global, args).await,
        None => Err("no command".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(global: &cli::GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RECALL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if global.log_format == cli::LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}
