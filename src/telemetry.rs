//! Logging: `tracing` with structured fields, text or JSON, filter from `log.level`
//! (`RUST_LOG` wins when set).
//!
//! Text logs escape every control character in every field and message ([`EscapingFields`]):
//! a newline in a person code or an upstream's error text can never start a forged log line.
//! JSON logs are escaped by the JSON encoder. Colours only when stderr is a terminal.

use crate::config::{LogFormat, LogSettings};
use std::fmt;
use std::io::IsTerminal;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::EnvFilter;

///
/// Lines are written by a background thread (`tracing-appender`), so a request never waits for
/// stderr; the buffer blocks rather than drops when it is full. [`flush`] before the process
/// exits writes out what is still buffered.
pub fn init(log: &LogSettings) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(text) => EnvFilter::try_new(&text).unwrap_or_else(|e| {
            // No subscriber yet: say it on stderr, once, and use the setting.
            eprintln!(
                "RUST_LOG ignored ({e}); using log.level = {:?}",
                log.level.as_str().escape_debug().to_string()
            );
            log.level.env_filter()
        }),
        Err(_) => log.level.env_filter(),
    };
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("hikbridge-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    // try_init: a second call (tests, demo) keeps the first subscriber.
    let installed = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.fmt_fields(EscapingFields).try_init(),
    };
    if installed.is_ok() {
        if let Ok(mut slot) = WRITER.lock() {
            *slot = Some(guard);
        }
    }
}

/// The log writer thread's guard: dropping it flushes and stops the thread.
static WRITER: std::sync::Mutex<Option<tracing_appender::non_blocking::WorkerGuard>> =
    std::sync::Mutex::new(None);

/// Write out every buffered log line (call once, just before the process exits).
pub fn flush() {
    let guard = WRITER.lock().ok().and_then(|mut slot| slot.take());
    drop(guard);
}

/// Field formatting for text logs: `name=value` pairs, the message first and bare, with every
/// control character escaped (`\n`, `\r`, `\u{1b}`, …).
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapingFields;

impl<'writer> FormatFields<'writer> for EscapingFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl EscapingVisitor<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        let value = Escaped(value);
        self.result = if field.name() == "message" {
            write!(self.writer, "{sep}{value}")
        } else {
            write!(self.writer, "{sep}{}={value}", field.name())
        };
    }
}

impl Visit for EscapingVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}

/// Text with control characters escaped; everything else (accents, ñ) as it is.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_newline_in_a_field_cannot_forge_a_log_line() {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .fmt_fields(EscapingFields)
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let code = "1712345678\n2026-01-27T08:00:00Z  INFO forged: admin logged in";
            tracing::warn!(person_code = %code, detail = ?"x\ry", "unknown person Peña\u{1b}[31m");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "one record, one line: {text}");
        assert!(
            text.contains(r"person_code=1712345678\n2026-01-27"),
            "{text}"
        );
        assert!(text.contains(r"unknown person Peña\u{1b}[31m"), "{text}");
        assert!(text.contains(r#"detail="x\ry""#), "{text}");
    }
}
