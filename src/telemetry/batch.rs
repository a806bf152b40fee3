//! The log writer: lines are appended to a shared buffer, and one background thread writes the
//! buffer out in one `write` per batch instead of one wake-up and one `write` per line.
//!
//! - **Batches.** The first line into an empty buffer wakes the thread; it then lingers up to
//!   [`LINGER`] for more lines before it writes them all at once. Under load a request costs an
//!   append to a buffer; idle, the thread sleeps until the next line.
//! - **Nothing dropped.** A writer that finds [`MAX_BUFFERED`] bytes waiting blocks until the
//!   thread has taken them (a stalled stderr slows logging, never loses lines).
//! - **Flushed at exit.** Dropping the [`Guard`] writes out what is buffered and stops the thread.
//!
//! Measured (docs/performance.md, 2026-12-07 EPYC): one channel send, one futex wake and one
//! `write` per line cost about 14 µs of CPU per event pushed at 1 event per POST.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the thread waits for more lines after the first of a batch.
pub const LINGER: Duration = Duration::from_millis(10);

/// Bytes buffered before writers wait for the thread.
pub const MAX_BUFFERED: usize = 4 << 20;

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    closing: bool,
    /// The most bytes ever buffered at once.
    #[cfg(test)]
    peak: usize,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when lines arrive in an empty buffer, and on close.
    arrived: Condvar,
    /// Signalled when the thread has taken the buffer.
    taken: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain bytes behind: keep using them.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The `MakeWriter` for `tracing_subscriber::fmt`: each event arrives as one `write_all`.
#[derive(Clone)]
pub struct BatchWriter(Arc<Shared>);

impl Write for BatchWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.0.lock();
        while state.lines.len() >= MAX_BUFFERED && !state.closing {
            state = self.0.taken.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        let was_empty = state.lines.is_empty();
        state.lines.extend_from_slice(line);
        #[cfg(test)]
        {
            state.peak = state.peak.max(state.lines.len());
        }
        drop(state);
        if was_empty {
            self.0.arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchWriter {
    type Writer = BatchWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Stops the thread when dropped, after it has written every buffered line.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.arrived.notify_one();
        self.shared.taken.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Start the thread `thread_name` writing batches to `out`.
pub fn spawn<W: Write + Send + 'static>(
    out: W,
    thread_name: &str,
) -> std::io::Result<(BatchWriter, Guard)> {
    let shared = Arc::new(Shared::default());
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name(thread_name.to_owned())
            .spawn(move || write_batches(&shared, out))?
    };
    Ok((
        BatchWriter(shared.clone()),
        Guard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::new();
    loop {
        let mut state = shared.lock();
        while state.lines.is_empty() && !state.closing {
            state = shared
                .arrived
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        if !state.closing {
            // Let the batch fill; a close cuts the wait short.
            state = shared
                .arrived
                .wait_timeout_while(state, LINGER, |s| !s.closing)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        std::mem::swap(&mut batch, &mut state.lines);
        let closing = state.closing;
        drop(state);
        shared.taken.notify_all();
        // Nowhere to report a failed log write: the line is gone either way.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if closing && shared.lock().lines.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A sink that hands each write to the test.
    struct Sink(mpsc::Sender<Vec<u8>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.send(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let (tx, rx) = mpsc::channel();
        let (writer, guard) = spawn(Sink(tx), "test-log").unwrap();
        let lines: Vec<String> = (0..10_000).map(|i| format!("line {i}\n")).collect();
        for line in &lines {
            writer.clone().write_all(line.as_bytes()).unwrap();
        }
        drop(guard);
        let written: Vec<u8> = rx.try_iter().flatten().collect();
        assert_eq!(String::from_utf8(written).unwrap(), lines.concat());
    }

    #[test]
    fn lines_are_written_in_batches_not_one_write_each() {
        let (tx, rx) = mpsc::channel();
        let (writer, guard) = spawn(Sink(tx), "test-log").unwrap();
        let appender = {
            let writer = writer.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    writer
                        .clone()
                        .write_all(format!("{i}\n").as_bytes())
                        .unwrap();
                }
            })
        };
        appender.join().unwrap();
        drop(guard);
        let writes: Vec<Vec<u8>> = rx.try_iter().collect();
        let total: usize = writes.iter().map(Vec::len).sum();
        assert_eq!(
            total,
            (0..100).map(|i: i32| format!("{i}\n").len()).sum::<usize>()
        );
        assert!(
            writes.len() < 100,
            "{} writes for 100 lines: not batched",
            writes.len()
        );
    }

    #[test]
    fn a_full_buffer_makes_the_writer_wait_instead_of_dropping() {
        // The sink blocks until the test lets it go, so the buffer fills up.
        struct Gated(mpsc::Receiver<()>, mpsc::Sender<usize>);
        impl Write for Gated {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let _ = self.0.recv();
                let _ = self.1.send(buf.len());
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (release, gate) = mpsc::channel::<()>();
        let (tx, rx) = mpsc::channel();
        let (writer, guard) = spawn(Gated(gate, tx), "test-log").unwrap();
        let chunk = MAX_BUFFERED / 2;
        let (done_tx, done_rx) = mpsc::channel();
        let filler = {
            let writer = writer.clone();
            std::thread::spawn(move || {
                for _ in 0..6 {
                    writer.clone().write_all(&vec![b'x'; chunk]).unwrap();
                }
                let _ = done_tx.send(());
            })
        };
        // The thread is stuck in the sink with its first batch; wait until the buffer is full
        // (or, without the bound, until the filler is through).
        loop {
            if writer.0.lock().lines.len() >= MAX_BUFFERED || done_rx.try_recv().is_ok() {
                break;
            }
            std::thread::yield_now();
        }
        for _ in 0..6 {
            let _ = release.send(());
        }
        filler.join().unwrap();
        let peak = writer.0.lock().peak;
        drop(release);
        drop(guard);
        assert!(
            peak < MAX_BUFFERED + chunk,
            "{peak} bytes were buffered at once: the writer did not wait"
        );
        let written: usize = rx.try_iter().sum();
        assert_eq!(written, 6 * chunk, "every byte is written, none dropped");
    }
}
