//! Who may call the APIs, and with which power: named clients with scopes (`[[api.clients]]`),
//! the legacy `api.tokens` (one client with every scope), the acting-user header a trusted
//! client may send, and user JWTs verified instead of a shared token (`[api.jwt]`).
//!
//! Tokens are never kept as text: every token, from a file, the environment or the legacy list,
//! is held as its SHA-256 digest ([`TokenDigest`]), the only form `token_sha256` accepts too.

use super::problems::{quoted, Problem};
use super::sources::Sources;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

pub use super::jwt::JwtSettings;
use std::fmt;

/// What a client may do. Scopes are independent: `admin` does not imply `operate` or `read`, so
/// a client lists every scope it needs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The `/biometrico` routes and bulk jobs the SIAD frontend uses.
    Sync,
    /// The dashboard's reads: `GET /admin/…`, job status and CSV.
    Read,
    /// Retry, discard, re-decide, admit, cancel jobs, plan lifecycle runs.
    Operate,
    /// Overrides, approving or applying a lifecycle plan, erasure requests.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Sync, Scope::Read, Scope::Operate, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Sync => "sync",
            Scope::Read => "read",
            Scope::Operate => "operate",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(word: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == word.trim())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes from a TOML list or a comma-separated string; an unknown word is an error
/// that names the known ones.
pub(super) fn scope_set<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<Scope>, D::Error> {
    let words = super::values::string_or_list(d)?;
    words
        .iter()
        .map(|w| {
            Scope::parse(w).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown scope {}: use sync, read, operate or admin",
                    quoted(w)
                ))
            })
        })
        .collect()
}

/// The SHA-256 digest of a bearer token: what is kept and compared, never the token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenDigest(pub [u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> TokenDigest {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }

    /// 64 hex digits, either case.
    pub fn from_hex(hex_digits: &str) -> Option<TokenDigest> {
        let bytes = hex::decode(hex_digits.trim()).ok()?;
        bytes.try_into().ok().map(TokenDigest)
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest([redacted])")
    }
}

/// One `[[api.clients]]` table.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientSettings {
    /// Recorded in the audit log and the logs: letters, digits, `.`, `_`, `-`.
    pub name: String,
    #[serde(deserialize_with = "scope_set")]
    pub scopes: BTreeSet<Scope>,
    /// A file holding the token (one per line: several allow rotation).
    #[serde(default)]
    pub token_file: String,
    /// The token's SHA-256 digest, hex (a list allows rotation): the configuration then holds
    /// no secret.
    #[serde(default, deserialize_with = "super::values::string_or_list")]
    pub token_sha256: Vec<String>,
    /// The name of an environment variable holding the token.
    #[serde(default)]
    pub token_env: String,
    /// Whether this client may name the person acting (`api.acting_user_header`).
    #[serde(default)]
    pub assert_user: bool,
    /// The digests of its tokens, from whichever source was set.
    #[serde(skip)]
    pub tokens: Vec<TokenDigest>,
}

/// The name the legacy `api.tokens` client is recorded under.
pub const LEGACY_CLIENT: &str = "api.tokens";

impl super::ApiSettings {
    /// Every client: the configured ones, then the legacy tokens as one client with every
    /// scope (and no acting user).
    pub fn all_clients(&self) -> Vec<ClientSettings> {
        let mut all = self.clients.clone();
        if !self.tokens.is_empty() {
            all.push(ClientSettings {
                name: LEGACY_CLIENT.to_owned(),
                scopes: Scope::ALL.into_iter().collect(),
                token_file: String::new(),
                token_sha256: Vec::new(),
                token_env: String::new(),
                assert_user: false,
                tokens: self
                    .tokens
                    .iter()
                    .map(|t| TokenDigest::of(t.expose()))
                    .collect(),
            });
        }
        all
    }

    /// Fill in every client's token digests and the JWT key material.
    pub(super) fn resolve_client_tokens(&mut self, sources: &Sources, problems: &mut Vec<Problem>) {
        for (i, client) in self.clients.iter_mut().enumerate() {
            let key = |k: &str| format!("api.clients[{i}].{k}");
            let mut digests = Vec::new();
            if !client.token_file.trim().is_empty() {
                match std::fs::read_to_string(client.token_file.trim()) {
                    Ok(text) => digests.extend(
                        text.lines()
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(|t| (t.len(), TokenDigest::of(t))),
                    ),
                    Err(e) => problems.push(Problem::new(
                        &key("token_file"),
                        &quoted(&client.token_file),
                        &format!("cannot read the token file: {e}"),
                        "/run/secrets/hikbridge_siad_token",
                    )),
                }
            }
            if !client.token_env.trim().is_empty() {
                match sources.var(client.token_env.trim()) {
                    Some(t) if !t.trim().is_empty() => {
                        digests.push((t.trim().len(), TokenDigest::of(t.trim())))
                    }
                    _ => problems.push(Problem::new(
                        &key("token_env"),
                        &quoted(&client.token_env),
                        "that environment variable is not set or empty",
                        "\"SIAD_FRONTEND_TOKEN\"",
                    )),
                }
            }
            for hex_digits in &client.token_sha256 {
                match TokenDigest::from_hex(hex_digits) {
                    Some(d) => digests.push((usize::MAX, d)),
                    None => problems.push(Problem::new(
                        &key("token_sha256"),
                        "(hidden)",
                        "must be 64 hexadecimal digits: the SHA-256 of the token",
                        "printf %s \"$TOKEN\" | sha256sum",
                    )),
                }
            }
            if digests.iter().any(|(len, _)| *len < MIN_TOKEN_LEN) {
                problems.push(Problem::new(
                    &key("token_file"),
                    "(hidden)",
                    &format!("a client token must have at least {MIN_TOKEN_LEN} characters"),
                    "openssl rand -base64 32",
                ));
            }
            client.tokens = digests.into_iter().map(|(_, d)| d).collect();
        }
        let jwt = &mut self.jwt;
        if jwt.algorithm.trim() == "RS256" && !jwt.public_key_file.trim().is_empty() {
            match std::fs::read(jwt.public_key_file.trim()) {
                Ok(pem) => jwt.public_key_pem = pem,
                Err(e) => problems.push(Problem::new(
                    "api.jwt.public_key_file",
                    &quoted(&jwt.public_key_file),
                    &format!("cannot read the public key: {e}"),
                    "/etc/hikbridge/oauth-public.key",
                )),
            }
        }
    }

    /// Checks across the clients and the JWT settings.
    pub(super) fn validate_access(&self, problems: &mut Vec<Problem>) {
        let mut names = BTreeSet::new();
        let mut seen: Vec<(TokenDigest, &str)> = Vec::new();
        for (i, c) in self.clients.iter().enumerate() {
            let key = |k: &str| format!("api.clients[{i}].{k}");
            if !valid_client_name(&c.name) || c.name == LEGACY_CLIENT {
                problems.push(Problem::new(
                    &key("name"),
                    &quoted(&c.name),
                    "must be 1–64 letters, digits, '.', '_' or '-' (and not \"api.tokens\")",
                    "\"siad-frontend\"",
                ));
            } else if !names.insert(c.name.as_str()) {
                problems.push(Problem::new(
                    &key("name"),
                    &quoted(&c.name),
                    "another client has this name",
                    "\"siad-backend\"",
                ));
            }
            if c.scopes.is_empty() {
                problems.push(Problem::new(
                    &key("scopes"),
                    "[]",
                    "a client needs at least one scope",
                    "[\"sync\"]",
                ));
            }
            let sources = [
                !c.token_file.trim().is_empty(),
                !c.token_sha256.is_empty(),
                !c.token_env.trim().is_empty(),
            ];
            if sources.iter().filter(|s| **s).count() != 1 {
                problems.push(Problem::new(
                    &key("token_file"),
                    "",
                    "set exactly one of token_file, token_sha256 or token_env",
                    "token_sha256 = \"<64 hex digits>\"",
                ));
            }
            if c.token_env.trim().starts_with("HIKBRIDGE__") {
                problems.push(Problem::new(
                    &key("token_env"),
                    &quoted(&c.token_env),
                    "a HIKBRIDGE__ variable is read as a setting: choose another name",
                    "\"SIAD_FRONTEND_TOKEN\"",
                ));
            }
            for d in &c.tokens {
                if let Some((_, other)) = seen.iter().find(|(s, _)| s == d) {
                    problems.push(Problem::new(
                        &key("name"),
                        &quoted(&c.name),
                        &format!("a token of this client is also a token of {other:?}: each token must name one client"),
                        "",
                    ));
                }
                seen.push((*d, c.name.as_str()));
            }
        }
        let legacy: Vec<TokenDigest> = self
            .tokens
            .iter()
            .map(|t| TokenDigest::of(t.expose()))
            .collect();
        if legacy.iter().any(|d| seen.iter().any(|(s, _)| s == d)) {
            problems.push(Problem::new(
                "api.tokens",
                "(hidden)",
                "a token of api.tokens is also a client's token: remove it from api.tokens",
                "",
            ));
        }
        if !valid_header_name(&self.acting_user_header) {
            problems.push(Problem::new(
                "api.acting_user_header",
                &quoted(&self.acting_user_header),
                "must be an HTTP header name",
                "\"X-Acting-User\"",
            ));
        }
        self.jwt.validate(problems);
    }
}

/// Client tokens shorter than this are refused (a guessable token opens the API).
pub const MIN_TOKEN_LEN: usize = 16;

pub(super) fn valid_client_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn valid_header_name(name: &str) -> bool {
    axum::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_digest_is_read_from_hex_and_never_printed() {
        let d = TokenDigest::of("siad-frontend-token-0123456789");
        let hex_digits = hex::encode(d.0);
        assert_eq!(TokenDigest::from_hex(&hex_digits.to_uppercase()), Some(d));
        assert_eq!(TokenDigest::from_hex("abc"), None);
        assert!(!format!("{d:?}").contains(&hex_digits[..8]));
    }
}
