//! One-shot subcommands. They open the same database as a running server
//! and hold no cache, so their changes show up there at once.

use chrono::Utc;
use recall::store::Db;

use crate::cli::{GlobalArgs, SeedArgs};

pub type CommandResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn open_db(global: &GlobalArgs) -> Result<Db, recall::Error> {
    match &global.database_url {
        Some(url) => Db::connect(url).await,
        None => Db::open_in_dir(&global.data_dir).await,
    }
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
