//! A frontend user's own token (`[api.jwt]`): RS256 with the issuer's public key (Laravel
//! Passport) or HS256 with a shared secret (tymon/jwt-auth), checked with `jsonwebtoken` for
//! signature, algorithm, issuer, audience, expiry and not-before; the user comes from one claim,
//! the scopes from another (or from roles), never beyond `allowed_scopes`.

use crate::config::{JwtSettings, Scope};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// What a valid user token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    pub user: String,
    pub scopes: BTreeSet<Scope>,
}

pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    user_claim: String,
    scopes_claim: String,
    role_claim: String,
    roles: Vec<(String, BTreeSet<Scope>)>,
    allowed: BTreeSet<Scope>,
    pub client_name: String,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.validation.algorithms)
            .field("client_name", &self.client_name)
            .finish_non_exhaustive()
    }
}

/// Longest user name kept (it is recorded in the audit log).
const MAX_USER: usize = 128;

impl JwtVerifier {
    /// `None` when `[api.jwt]` is off; an error when its key cannot be used (validation has
    /// normally said so already).
    pub fn from_settings(s: &JwtSettings) -> Result<Option<JwtVerifier>, String> {
        if !s.enabled() {
            return Ok(None);
        }
        let (key, algorithm) = match s.algorithm.trim() {
            "RS256" => (
                DecodingKey::from_rsa_pem(&s.public_key_pem)
                    .map_err(|e| format!("api.jwt.public_key_file: {e}"))?,
                Algorithm::RS256,
            ),
            "HS256" => (
                DecodingKey::from_secret(s.secret.expose().as_bytes()),
                Algorithm::HS256,
            ),
            other => return Err(format!("api.jwt.algorithm {other:?} is not RS256 or HS256")),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[s.issuer.trim()]);
        validation.set_audience(&[s.audience.trim()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = s.leeway.as_secs();
        Ok(Some(JwtVerifier {
            key,
            validation,
            user_claim: s.user_claim.trim().to_owned(),
            scopes_claim: s.scopes_claim.trim().to_owned(),
            role_claim: s.role_claim.trim().to_owned(),
            roles: s.role_map(),
            allowed: s.allowed_scopes.clone(),
            client_name: s.client_name.clone(),
        }))
    }

    /// Whether `token` has the shape of a JWT (three dot-separated parts).
    pub fn looks_like_jwt(token: &str) -> bool {
        token.split('.').count() == 3 && token.starts_with("ey")
    }

    /// Check `token`; the error is a sentence for the 401 answer (no token content in it).
    pub fn verify(&self, token: &str) -> Result<UserToken, String> {
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|e| describe(e.kind()))?;
        let claims = data.claims;
        let user = match claims.get(&self.user_claim) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(format!(
                    "the token has no {:?} claim naming the user (api.jwt.user_claim)",
                    self.user_claim
                ))
            }
        };
        if user.chars().count() > MAX_USER || user.chars().any(char::is_control) {
            return Err(format!(
                "the token's {:?} claim is not a usable user name (1–{MAX_USER} printable characters)",
                self.user_claim
            ));
        }
        let mut scopes = BTreeSet::new();
        if !self.scopes_claim.is_empty() {
            scopes.extend(words(claims.get(&self.scopes_claim)).filter_map(|w| Scope::parse(&w)));
        }
        if !self.role_claim.is_empty() {
            for role in words(claims.get(&self.role_claim)) {
                for (name, granted) in &self.roles {
                    if *name == role {
                        scopes.extend(granted.iter().copied());
                    }
                }
            }
        }
        scopes.retain(|s| self.allowed.contains(s));
        Ok(UserToken { user, scopes })
    }
}

/// A claim as words: a list of strings, or one string split at spaces.
fn words(claim: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    let items: Vec<String> = match claim {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    items.into_iter()
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        ErrorKind::InvalidAudience => "the token is not meant for this service (aud)".into(),
        ErrorKind::InvalidIssuer => {
            "the token was not issued by the configured issuer (iss)".into()
        }
        ErrorKind::InvalidSignature => "the token's signature is not valid".into(),
        ErrorKind::InvalidAlgorithm => "the token is signed with another algorithm".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("the token has no {c:?} claim"),
        _ => "the token is not a valid JWT".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!!";

    fn settings() -> JwtSettings {
        let s = crate::config::Settings::defaults_with_env(&[
            ("HIKBRIDGE__API__JWT__ALGORITHM", "HS256"),
            ("HIKBRIDGE__API__JWT__SECRET", SECRET),
            ("HIKBRIDGE__API__JWT__ISSUER", "https://siad.example.edu"),
            ("HIKBRIDGE__API__JWT__AUDIENCE", "hikbridge"),
            ("HIKBRIDGE__API__JWT__ROLE_CLAIM", "roles"),
            ("HIKBRIDGE__API__JWT__ROLE_SCOPES", "rrhh=read operate"),
            ("HIKBRIDGE__API__JWT__ALLOWED_SCOPES", "sync,read"),
        ])
        .unwrap();
        s.api.jwt
    }

    fn token(claims: Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn claims(extra: Value) -> Value {
        let mut c = json!({
            "iss": "https://siad.example.edu", "aud": "hikbridge", "sub": "jperez",
            "exp": chrono::Utc::now().timestamp() + 600, "scope": "sync",
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    #[test]
    fn a_valid_token_names_its_user_and_only_allowed_scopes() {
        let v = JwtVerifier::from_settings(&settings()).unwrap().unwrap();
        let t = v
            .verify(&token(claims(
                json!({"scope": "sync admin", "roles": ["rrhh"]}),
            )))
            .unwrap();
        assert_eq!(t.user, "jperez");
        // admin is not allowed; rrhh gives read and operate, of which read is allowed.
        assert_eq!(t.scopes, [Scope::Sync, Scope::Read].into_iter().collect());
    }

    #[test]
    fn expired_foreign_unsigned_or_userless_tokens_are_refused_with_the_reason() {
        let v = JwtVerifier::from_settings(&settings()).unwrap().unwrap();
        let past = chrono::Utc::now().timestamp() - 3600;
        let cases = [
            (claims(json!({"exp": past})), "expired"),
            (claims(json!({"aud": "another-service"})), "aud"),
            (claims(json!({"iss": "https://evil.example"})), "iss"),
            (claims(json!({"sub": null})), "\"sub\""),
        ];
        for (c, why) in cases {
            let e = v.verify(&token(c)).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let forged = encode(
            &Header::new(Algorithm::HS256),
            &claims(json!({})),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!!"),
        )
        .unwrap();
        assert!(v.verify(&forged).unwrap_err().contains("signature"));
        let mut no_exp = claims(json!({}));
        no_exp.as_object_mut().unwrap().remove("exp");
        assert!(v.verify(&token(no_exp)).unwrap_err().contains("exp"));
    }
}
