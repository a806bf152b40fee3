//! Logging: `tracing` with structured fields, text or JSON, filter from `log.level`
//! (`RUST_LOG` wins when set).
//!
//! Text logs escape every control character in every field and message ([`EscapingFields`]):
//! a newline in a person code or an upstream's error text can never start a forged log line.
//! JSON logs are escaped by the JSON encoder. Colours only when stderr is a terminal.

mod batch;

use crate::config::{LogFormat, LogSettings};
use std::fmt;
use std::io::IsTerminal;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::EnvFilter;

/// Install the process's log subscriber.
///
/// Lines are written to stderr in batches by a background thread ([`batch`]), so a request
/// never waits for stderr and does not wake a thread per line; the buffer blocks rather than
/// drops when it is full. [`flush`] before the process exits writes out what is still buffered.
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal());
    let (installed, guard) = match batch::spawn(std::io::stderr(), "hikbridge-log") {
        Ok((writer, guard)) => (
            install(builder.with_writer(writer), log.format),
            Some(guard),
        ),
        // No thread for the writer: write each line straight to stderr.
        Err(_) => (
            install(builder.with_writer(std::io::stderr), log.format),
            None,
        ),
    };
    if installed {
        if let Ok(mut slot) = WRITER.lock() {
            *slot = guard;
        }
    }
}

/// Install the subscriber in `format`; `false` if one is installed already (tests, demo: the
/// first one stays).
fn install<W>(
    builder: tracing_subscriber::fmt::SubscriberBuilder<
        tracing_subscriber::fmt::format::DefaultFields,
        tracing_subscriber::fmt::format::Format,
        EnvFilter,
        W,
    >,
    format: LogFormat,
) -> bool
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init().is_ok(),
        LogFormat::Text => builder.fmt_fields(EscapingFields).try_init().is_ok(),
    }
}

/// The log writer thread's guard: dropping it flushes and stops the thread.
static WRITER: std::sync::Mutex<Option<batch::Guard>> = std::sync::Mutex::new(None);

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
    /// ` name=` (nothing before the first field, no name for the message), then `value`
    /// written through the escaping adapter: no intermediate string.
    fn write(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.result.is_err() {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        self.result = if field.name() == "message" {
            self.writer.write_str(sep)
        } else {
            write!(self.writer, "{sep}{}=", field.name())
        }
        .and_then(|()| fmt::Write::write_fmt(&mut EscapingWriter(&mut self.writer), value));
    }
}

impl Visit for EscapingVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, format_args!("{value:?}"));
    }
}

/// A `fmt::Write` that escapes control characters on their way to the writer it wraps.
struct EscapingWriter<'a, W: fmt::Write + ?Sized>(&'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for EscapingWriter<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// `s` with control characters (and the Unicode line separators) escaped, written in runs.
fn write_escaped<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let mut clean_from = 0;
    for (i, c) in s.char_indices() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.write_str(&s[clean_from..i])?;
            write!(out, "{}", c.escape_default())?;
            clean_from = i + c.len_utf8();
        }
    }
    out.write_str(&s[clean_from..])
}

/// Text with control characters escaped; everything else (accents, ñ) as it is.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0)
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
