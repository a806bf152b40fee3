//! The real `hikbridge serve` binary as a child process, for crash, disk-full, replica and soak
//! tests. Every `HIKBRIDGE*` variable of the test's own environment is removed first, so only
//! what the test sets applies.
//!
//! The test owns the listening socket and hands it to each child at fd 3 (`LISTEN_FDS=1`, the
//! convention `serve` reads), so there is no port to race for, and a restarted child serves the
//! same socket: requests sent while it is down wait in the backlog, as they would under a
//! systemd socket unit.

use command_fds::{CommandFdExt, FdMapping};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_hikbridge");

/// A running `hikbridge serve`; killed (SIGKILL) when dropped.
pub struct Service {
    child: Option<Child>,
    listener: TcpListener,
    pub port: u16,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Service {
    /// Start `serve` in `dir` on a socket of its own with `env` (and nothing else of the
    /// test's `HIKBRIDGE*` environment).
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Service {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local listening socket");
        let port = listener.local_addr().expect("its address").port();
        let mut s = Service {
            child: None,
            listener,
            port,
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
        hand_over(&mut cmd, &self.listener);
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

    /// Wait until `GET /health` answers 200 (at most about 20 s). A request sent before the
    /// child accepts waits in the socket's backlog, so each is bounded, and the child checked.
    pub async fn wait_healthy(&mut self) {
        let url = format!("{}/health", self.base());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .expect("an HTTP client");
        for _ in 0..800 {
            if let Some(status) = self.exited() {
                panic!("hikbridge exited before it was healthy: {status}");
            }
            if client
                .get(&url)
                .send()
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

/// Give `listener` to the child `cmd` starts, the way `serve` reads it: at fd 3, with
/// `LISTEN_FDS=1` (the mapping is applied between fork and exec by `command-fds`).
pub fn hand_over(cmd: &mut Command, listener: &TcpListener) {
    let socket = listener
        .try_clone()
        .expect("a copy of the listening socket");
    cmd.fd_mappings(vec![FdMapping {
        parent_fd: socket.into(),
        child_fd: 3,
    }])
    .expect("one mapping, to fd 3");
    cmd.env("LISTEN_FDS", "1");
}
