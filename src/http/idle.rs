//! A connection on which nothing arrives for `server.idle_timeout_secs` is closed: the read
//! that waited that long fails with `TimedOut`, and hyper drops the connection.
//!
//! The alarm is lazy. A connection is idle between two requests of a keep-alive client, so a
//! timer moved at every request (as `tokio-io-timeout` does: one re-registration when a read
//! waits and another when it succeeds) costs two trips through tokio's timer wheel per request.
//! Here a read that waits only notes when the wait began; the alarm stays where it is and, when
//! it rings, is moved to the real deadline if that is later. So it is re-armed at most once per
//! timeout per connection, and a request costs a clock read.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner` with a read idle timeout.
pub struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    /// When the current wait for bytes began; `None` while bytes are flowing.
    waiting_since: Option<Instant>,
    /// Rings at or before the deadline of the current wait.
    alarm: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            waiting_since: None,
            alarm: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    /// A read is waiting: fail once it has waited `timeout`, otherwise make sure the alarm
    /// will wake this task no later than that.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        let deadline = since + self.timeout;
        loop {
            if self.alarm.as_mut().poll(cx).is_pending() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "nothing received within server.idle_timeout_secs",
                ));
            }
            // It rang for an earlier wait: move it to this one's deadline and poll again.
            self.alarm.as_mut().reset(deadline);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            ready => {
                this.waiting_since = None;
                ready
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const TIMEOUT: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_read_that_waits_the_whole_timeout_fails() {
        let (_client, server) = tokio::io::duplex(64);
        let mut conn = IdleTimeout::new(server, TIMEOUT);
        let started = Instant::now();
        let mut buf = [0u8; 8];
        let read = tokio::time::timeout(TIMEOUT * 2, conn.read(&mut buf)).await;
        let err = read.ok().and_then(|r| r.err()).map(|e| e.kind());
        assert_eq!(err, Some(io::ErrorKind::TimedOut));
        assert!(started.elapsed() >= TIMEOUT, "{:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_before_the_timeout_are_read() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut conn = IdleTimeout::new(server, TIMEOUT);
        tokio::spawn(async move {
            tokio::time::sleep(TIMEOUT - Duration::from_secs(1)).await;
            let _ = client.write_all(b"GET").await;
            // Keep the stream open until the reader is done.
            tokio::time::sleep(TIMEOUT * 10).await;
        });
        let mut buf = [0u8; 3];
        assert_eq!(conn.read(&mut buf).await.ok(), Some(3));
        assert_eq!(&buf, b"GET");
    }

    /// The timeout counts from the start of each wait, not of the connection nor of the alarm
    /// set for an earlier wait: a busy connection that then waits a little is not closed.
    #[tokio::test(start_paused = true)]
    async fn each_wait_gets_the_whole_timeout() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut conn = IdleTimeout::new(server, TIMEOUT);
        let mut buf = [0u8; 1];
        // A byte every 40 s for 200 s: every wait is shorter than the timeout.
        let writer = tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(40)).await;
                if client.write_all(b"x").await.is_err() {
                    return None;
                }
            }
            Some(client)
        });
        for _ in 0..5 {
            assert_eq!(conn.read(&mut buf).await.ok(), Some(1));
        }
        let _client = writer.await.ok().flatten();
        // Then silence: closed one timeout after the last byte.
        let waited = Instant::now();
        let read = tokio::time::timeout(TIMEOUT * 2, conn.read(&mut buf)).await;
        let err = read.ok().and_then(|r| r.err()).map(|e| e.kind());
        assert_eq!(err, Some(io::ErrorKind::TimedOut));
        assert!(waited.elapsed() >= TIMEOUT, "{:?}", waited.elapsed());
        assert!(waited.elapsed() < TIMEOUT + Duration::from_secs(1));
    }
}
