//! `hikbridge siad …`: SIAD directory tools.

#[derive(Debug, clap::Subcommand)]
pub enum SiadCommand {
    /// Create (or replace) a synthetic SIAD database in SQLite: Ecuadorian-style CIs, Spanish
    /// names, students/teachers/staff, placeholder portraits (no real faces) and four people with
    /// deliberately bad photos. Point the service at it with siad.url = "sqlite://<path>".
    #[cfg(feature = "sim")]
    SeedDemo {
        /// The SQLite file to write (replaced if it exists).
        #[arg(long, default_value = "data/siad-demo.db")]
        path: std::path::PathBuf,
        /// How many people.
        #[arg(long, default_value_t = 300)]
        people: u32,
        /// Same seed, same people and photos.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Page HikCentral's person list (pageSize 500) and record everyone with a personCode in
    /// the ledger, so people registered by other means count as registered. Also runs every
    /// siad.reconcile_interval_secs in the service.
    Reconcile,
}

/// Runs one `siad` command; returns the process exit code. Without the `sim` feature the only
/// one left, `reconcile`, is run by the main dispatcher.
#[cfg(feature = "sim")]
pub async fn run(cmd: SiadCommand) -> anyhow::Result<i32> {
    match cmd {
        #[cfg(feature = "sim")]
        SiadCommand::SeedDemo { path, people, seed } => {
            let summary = crate::siad::seed::seed_demo(&path, people, seed).await?;
            print!("{summary}");
            println!(
                "use it with: HIKBRIDGE__SIAD__URL=sqlite://{}",
                path.display()
            );
            Ok(0)
        }
        SiadCommand::Reconcile => {
            anyhow::bail!(
                "reconcile needs the service configuration; it is run by the main dispatcher"
            )
        }
    }
}
