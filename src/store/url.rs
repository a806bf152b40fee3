//! Database URLs: which backend a URL names, the SQLite file it points at, and a form that is safe
//! to log. Pure functions: nothing here touches the filesystem or the network.

use super::{Backend, StoreError};
use std::path::{Path, PathBuf};

/// What a database URL asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `sqlite::memory:`: a private database that lives as long as its single connection.
    SqliteMemory,
    /// A SQLite file. `path` is percent-decoded and may be relative; `params` is the query string.
    SqliteFile { path: PathBuf, params: String },
    /// A PostgreSQL server; the URL is handed to sqlx unchanged.
    Postgres,
}

impl Target {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Target::SqliteMemory | Target::SqliteFile { .. } => Backend::Sqlite,
            Target::Postgres => Backend::Postgres,
        }
    }
}

/// Decide what `url` asks for, or say why it cannot be used.
/// The file a `sqlite://` URL names (`None` for PostgreSQL, memory or an unusable URL).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    match classify(url) {
        Ok(Target::SqliteFile { path, .. }) => Some(path),
        _ => None,
    }
}

pub(crate) fn classify(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    let (scheme, rest) = split_scheme(url).ok_or_else(|| StoreError::UnsupportedUrl {
        scheme: String::new(),
    })?;
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => classify_sqlite(rest),
        "postgres" | "postgresql" => match url::Url::parse(url) {
            Ok(_) => Ok(Target::Postgres),
            // The parse error never echoes the input, so no password can leak through it.
            Err(e) => Err(StoreError::InvalidUrl {
                reason: format!(
                    "the PostgreSQL URL cannot be parsed ({e}); expected a form such as \
                     `postgres://user@host:5432/db` (percent-encode special characters in the password)"
                ),
            }),
        },
        other => Err(StoreError::UnsupportedUrl {
            scheme: other.to_owned(),
        }),
    }
}

/// `scheme:rest` when the text before the first `:` is a well-formed URL scheme.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    well_formed.then_some((scheme, rest))
}

/// `rest` is what follows `sqlite:`: `//path?params`, `path?params` or `:memory:`.
fn classify_sqlite(rest: &str) -> Result<Target, StoreError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    let memory_mode =
        url::form_urlencoded::parse(params.as_bytes()).any(|(k, v)| k == "mode" && v == "memory");
    if database == ":memory:" || memory_mode {
        return Ok(Target::SqliteMemory);
    }
    if database.is_empty() {
        return Err(StoreError::InvalidUrl {
            reason: "the SQLite URL has no file path; use a form such as \
                     `sqlite://data/hikbridge.db` (relative) or `sqlite:///var/lib/hikbridge/hikbridge.db` (absolute)"
                .to_owned(),
        });
    }
    let path = crate::percent::decode(database).ok_or_else(|| StoreError::InvalidUrl {
        reason: "the SQLite file path has an invalid percent-escape or is not UTF-8".to_owned(),
    })?;
    Ok(Target::SqliteFile {
        path: PathBuf::from(path),
        params: params.to_owned(),
    })
}

/// The URL given to sqlx for a SQLite file: an absolute, percent-encoded path (so the URL parser
/// cannot mistake a directory for a host) and `mode=rwc` unless the caller chose a mode.
pub(crate) fn sqlite_connect_url(absolute: &Path, params: &str) -> Result<String, StoreError> {
    let path = absolute.to_str().ok_or_else(|| StoreError::InvalidUrl {
        reason: "the SQLite file path is not valid UTF-8".to_owned(),
    })?;
    let mut url = format!("sqlite://{}", crate::percent::path(path));
    let has_mode = url::form_urlencoded::parse(params.as_bytes()).any(|(k, _)| k == "mode");
    let mut query: Vec<&str> = params.split('&').filter(|p| !p.is_empty()).collect();
    if !has_mode {
        query.push("mode=rwc");
    }
    url.push('?');
    url.push_str(&query.join("&"));
    Ok(url)
}

/// `url` with any password replaced by `***` (in the user-info part and in a `password` query
/// parameter). SQLite URLs carry no credentials and are returned unchanged.
pub fn redact_url(url: &str) -> String {
    let is_sqlite = split_scheme(url.trim()).is_some_and(|(s, _)| s.eq_ignore_ascii_case("sqlite"));
    if is_sqlite {
        return url.to_owned();
    }
    let Ok(mut parsed) = url::Url::parse(url.trim()) else {
        return "[unparseable database URL]".to_owned();
    };
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have credentials, which then have no password either.
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// The passwords a URL carries, decoded and raw, to scrub them from driver messages.
pub(crate) fn passwords_in(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some(raw) = parsed.password() {
        found.extend(crate::percent::decode(raw));
        found.push(raw.to_owned());
    }
    found.extend(
        parsed
            .query_pairs()
            .filter(|(k, _)| k == "password")
            .map(|(_, v)| v.into_owned()),
    );
    found.retain(|p| !p.is_empty());
    found
}

/// Remove every `secret` from `text`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |acc, s| acc.replace(s.as_str(), "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, params: &str) -> Target {
        Target::SqliteFile {
            path: PathBuf::from(path),
            params: params.to_owned(),
        }
    }

    #[test]
    fn classifies_sqlite_and_postgres_urls() {
        let cases: &[(&str, Target)] = &[
            ("sqlite://data/hikbridge.db", file("data/hikbridge.db", "")),
            ("sqlite:data/hikbridge.db", file("data/hikbridge.db", "")),
            ("sqlite:///var/lib/hb.db", file("/var/lib/hb.db", "")),
            ("SQLITE://hb.db?mode=ro", file("hb.db", "mode=ro")),
            ("sqlite://my%20data/hb.db", file("my data/hb.db", "")),
            ("sqlite::memory:", Target::SqliteMemory),
            ("sqlite://:memory:", Target::SqliteMemory),
            ("sqlite://?mode=memory", Target::SqliteMemory),
            ("postgres://postgres@127.0.0.1:5432/test", Target::Postgres),
            ("postgresql://u:p@db/hb?sslmode=require", Target::Postgres),
            ("  postgres://db/hb  ", Target::Postgres),
        ];
        for (url, want) in cases {
            let got = classify(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(&got, want, "{url}");
        }
        assert_eq!(
            classify("sqlite::memory:").unwrap().backend(),
            Backend::Sqlite
        );
        assert_eq!(
            classify("postgres://db/x").unwrap().backend(),
            Backend::Postgres
        );
    }

    #[test]
    fn rejects_other_schemes_naming_the_scheme() {
        let cases = [
            ("mysql://root@db/hb", "mysql"),
            ("MSSQL://sa@db", "mssql"),
            ("data/hikbridge.db", ""),
            ("", ""),
            ("user:secret@host/db", "user"),
            ("/abs/path:with-colon", ""),
        ];
        for (url, scheme) in cases {
            match classify(url) {
                Err(StoreError::UnsupportedUrl { scheme: got }) => assert_eq!(got, scheme, "{url}"),
                other => panic!("{url}: expected UnsupportedUrl, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_unusable_sqlite_and_postgres_urls_without_echoing_them() {
        for url in [
            "sqlite://",
            "sqlite:",
            "sqlite://bad%zz.db",
            "sqlite://?cache=shared",
        ] {
            let e = classify(url).expect_err(url);
            assert!(matches!(e, StoreError::InvalidUrl { .. }), "{url}: {e:?}");
        }
        let e = classify("postgres://u:hunter2@[bad/db").expect_err("bad host");
        assert!(matches!(e, StoreError::InvalidUrl { .. }), "{e:?}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn sqlite_connect_url_is_absolute_encoded_and_creates_by_default() {
        let url = sqlite_connect_url(Path::new("/tmp/a b/h#b?.db"), "").unwrap();
        assert_eq!(url, "sqlite:///tmp/a%20b/h%23b%3F.db?mode=rwc");
        let url = sqlite_connect_url(Path::new("/d/hb.db"), "mode=ro&cache=private").unwrap();
        assert_eq!(url, "sqlite:///d/hb.db?mode=ro&cache=private");
        let url = sqlite_connect_url(Path::new("/d/hb.db"), "cache=shared").unwrap();
        assert_eq!(url, "sqlite:///d/hb.db?cache=shared&mode=rwc");
    }

    #[test]
    fn redact_url_hides_passwords_and_keeps_the_rest() {
        let cases = [
            (
                "postgres://hb:s3cr%40t@db.internal:5432/hikbridge",
                "postgres://hb:***@db.internal:5432/hikbridge",
            ),
            (
                "postgres://hb@db/hb?password=s3cret&sslmode=require",
                "postgres://hb@db/hb?password=***&sslmode=require",
            ),
            ("postgres://hb@db/hb", "postgres://hb@db/hb"),
            ("sqlite://data/hikbridge.db", "sqlite://data/hikbridge.db"),
            ("postgres://u:p@[bad", "[unparseable database URL]"),
        ];
        for (url, want) in cases {
            let got = redact_url(url);
            assert_eq!(got, want, "{url}");
        }
    }

    #[test]
    fn scrub_removes_raw_and_decoded_passwords() {
        let secrets = passwords_in("postgres://hb:s3cr%40t@db/hb?password=other");
        let msg = scrub("auth failed for s3cr@t / s3cr%40t / other", &secrets);
        assert_eq!(msg, "auth failed for *** / *** / ***");
        assert!(passwords_in("postgres://hb@db/hb").is_empty());
    }
}
