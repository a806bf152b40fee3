//! Where `serve` listens: a socket handed over by whoever started it, or else `server.listen`.
//!
//! A handed-over socket follows the systemd convention (`LISTEN_FDS`, and `LISTEN_PID` when
//! set; the sockets start at fd 3), read by the `listenfd` crate, so a systemd socket unit,
//! `systemfd` or a test harness can own the port. The socket then outlives the process: while
//! the service restarts, HikCentral's pushes wait in the kernel's backlog instead of being
//! refused, and `server.listen` is not used.
//!
//! The variables must be read before any thread starts (reading them also removes them, so a
//! child process never inherits them), hence [`Inherited::from_env`] in `main`.

use anyhow::Context;
use std::net::SocketAddr;

/// The sockets this process was started with (none, usually).
pub struct Inherited(listenfd::ListenFd);

impl Inherited {
    /// Read and clear `LISTEN_FDS`/`LISTEN_PID`. Call first thing in `main`, before the runtime's
    /// threads exist.
    pub fn from_env() -> Self {
        Self(listenfd::ListenFd::from_env())
    }

    /// The first inherited socket as the HTTP listener, or a new one bound to `listen`.
    /// An inherited fd that is not a TCP listening socket is an error, not a silent fallback.
    pub async fn http_listener(
        &mut self,
        listen: SocketAddr,
    ) -> anyhow::Result<(tokio::net::TcpListener, &'static str)> {
        let inherited = self
            .0
            .take_tcp_listener(0)
            .context("the socket handed over in LISTEN_FDS (fd 3) is not a TCP socket")?;
        match inherited {
            Some(socket) => {
                socket
                    .set_nonblocking(true)
                    .context("cannot use the socket handed over in LISTEN_FDS")?;
                let listener = tokio::net::TcpListener::from_std(socket)
                    .context("cannot use the socket handed over in LISTEN_FDS")?;
                Ok((listener, "handed over (LISTEN_FDS)"))
            }
            None => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
                Ok((listener, "server.listen"))
            }
        }
    }
}
