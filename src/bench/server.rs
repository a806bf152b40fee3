//! The service under test: this same binary's `serve`, as a child process with its own store, so
//! the load generator never shares a runtime with it. The benchmark binds the listening socket and
//! hands it over (fd 3, `LISTEN_FDS`), so there is no free port to pick and race for. Also a fresh
//! PostgreSQL database per run, dropped afterwards.

use anyhow::Context;
use command_fds::{CommandFdExt, FdMapping};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub struct Served {
    pub base: String,
    child: Child,
    /// The child's stderr: its log, at `info` as shipped.
    log: PathBuf,
}

impl Served {
    /// Start `hikbridge serve` with `env` on top of the shipped defaults; resolves once `/health`
    /// answers. It logs at `info`, as shipped (one access line per request), to a file in `dir`:
    /// the log's cost is part of what is measured.
    pub async fn start(dir: &Path, env: &[(&str, String)]) -> anyhow::Result<Served> {
        let socket = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = socket.local_addr()?.port();
        let exe = std::env::current_exe().context("cannot find this executable")?;
        let mut cmd = Command::new(exe);
        cmd.fd_mappings(vec![FdMapping {
            parent_fd: socket.into(),
            child_fd: 3,
        }])?;
        let log = dir.join(format!("serve-{port}.log"));
        let log_file = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        cmd.arg("serve")
            .current_dir(dir)
            .env("LISTEN_FDS", "1")
            .env_remove("RUST_LOG")
            .env("HIKBRIDGE__LOG__LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("cannot start hikbridge serve")?;
        drop(cmd); // its copy of the socket: the child's is the only one now
        let served = Served {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        // A request the child has not accepted yet waits in the socket's backlog: bound each.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{}/health", served.base)).send().await {
                if r.status().is_success() {
                    return Ok(served);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!(
            "hikbridge serve did not answer /health within 15 s; the end of its log:\n{}",
            log_tail(&served.log)
        )
    }

    /// The child's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Peak resident memory so far (Linux `VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        peak_rss_of(&self.child.id()?.to_string())
    }

    /// CPU time the child has used so far: user and system, all its threads.
    pub fn cpu_time(&self) -> Option<Duration> {
        crate::procstat::cpu_time_of(&self.child.id()?.to_string())
    }

    /// SIGTERM and wait (graceful shutdown: everything acknowledged is committed).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

pub use crate::procstat::peak_rss_of;

/// How many lines the file at `path` holds.
pub fn count_lines(path: &Path) -> Option<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(lines),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(_) => return None,
        }
    }
}

/// The last 2 KiB of a log, control characters escaped.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let tail = &text[text.len().saturating_sub(2048)..];
    String::from_utf8_lossy(tail)
        .lines()
        .map(|l| l.escape_debug().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A new, empty PostgreSQL database on the server `admin_url` names; dropped by [`PgBench::drop_db`].
pub struct PgBench {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgBench {
    pub async fn create(admin_url: &str) -> anyhow::Result<PgBench> {
        let name = format!("hb_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .context("cannot connect to the PostgreSQL server (--postgres)")?;
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(PgBench {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    pub async fn drop_db(self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
        }
    }
}
