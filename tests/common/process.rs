//! The real `hikbridge serve` binary as a child process, for crash, disk-full, replica and soak
//! tests. Every `HIKBRIDGE*` variable of the test's own environment is removed first, so only
//! what the test sets applies.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_hikbridge");

/// A running `hikbridge serve`; killed (SIGKILL) when dropped.
pub struct Service {
    child: Option<Child>,
    pub port: u16,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Service {
    /// Start `serve` in `dir` on a free local port with `env` (and nothing else of the test's
    /// `HIKBRIDGE*` environment).
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Service {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut s = Service {
            child: None,
            port: free_port(),
            dir: dir.to_path_buf(),
            env,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(&self.dir)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("HIKBRIDGE_TEST_CHILD_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (k, _) in std::env::vars() {
            if k.starts_with("HIKBRIDGE") {
                cmd.env_remove(k);
            }
        }
        cmd.env(
            "HIKBRIDGE__SERVER__LISTEN",
            format!("127.0.0.1:{}", self.port),
        );
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("start hikbridge serve"));
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGKILL, then start again on the same port and environment.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Whether the child has exited (and with what), without waiting.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Wait until `GET /health` answers 200 (at most 20 s).
    pub async fn wait_healthy(&mut self) {
        let url = format!("{}/health", self.base());
        for _ in 0..800 {
            if let Some(status) = self.exited() {
                panic!("hikbridge exited before it was healthy: {status}");
            }
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("hikbridge did not become healthy");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}
