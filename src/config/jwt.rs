//! `[api.jwt]`: the frontend user's own token instead of a shared one — which algorithm and
//! key, the issuer and audience it must carry, and where its user and scopes come from.

use super::access::{scope_set, valid_client_name, Scope};
use super::problems::{quoted, Problem};
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeSet;

/// `[api.jwt]`: the frontend user's own token instead of a shared one.
#[derive(Debug, Clone, Deserialize)]
pub struct JwtSettings {
    /// `""` (off), `RS256` (Laravel Passport: `public_key_file`) or `HS256` (tymon/jwt-auth:
    /// `HIKBRIDGE__API__JWT__SECRET` or `secret_file`).
    pub algorithm: String,
    pub public_key_file: String,
    pub secret_file: String,
    #[serde(skip)]
    pub secret: Secret,
    /// The PEM read from `public_key_file`.
    #[serde(skip)]
    pub public_key_pem: Vec<u8>,
    pub issuer: String,
    pub audience: String,
    /// The claim naming the user (recorded as the acting user).
    pub user_claim: String,
    /// The claim carrying scopes: a list, or one space-separated string (OAuth's `scope`).
    pub scopes_claim: String,
    /// Instead of (or beside) `scopes_claim`: a claim whose values are roles, and what each
    /// grants, as `role=scope scope` items.
    pub role_claim: String,
    #[serde(deserialize_with = "super::values::string_or_list")]
    pub role_scopes: Vec<String>,
    /// The most a user token can carry; scopes beyond it are ignored.
    #[serde(deserialize_with = "scope_set")]
    pub allowed_scopes: BTreeSet<Scope>,
    /// The client name user tokens are recorded under.
    pub client_name: String,
    #[serde(rename = "leeway_secs", with = "super::duration::secs")]
    pub leeway: std::time::Duration,
}

impl JwtSettings {
    pub fn enabled(&self) -> bool {
        !self.algorithm.trim().is_empty()
    }

    /// `role_scopes` parsed: (role, scopes). Bad items are reported by validation.
    pub fn role_map(&self) -> Vec<(String, BTreeSet<Scope>)> {
        self.role_scopes
            .iter()
            .filter_map(|item| parse_role_item(item).ok())
            .collect()
    }
}

fn parse_role_item(item: &str) -> Result<(String, BTreeSet<Scope>), String> {
    let (role, scopes) = item
        .split_once('=')
        .ok_or("must be role=scope scope (e.g. biometrico-staff=sync)")?;
    let role = role.trim();
    if role.is_empty() {
        return Err("the role before = is empty".into());
    }
    let set = scopes
        .split([' ', '+'])
        .filter(|w| !w.trim().is_empty())
        .map(|w| Scope::parse(w).ok_or(format!("unknown scope {}", quoted(w))))
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok((role.to_owned(), set))
}

impl JwtSettings {
    pub(super) fn validate(&self, problems: &mut Vec<Problem>) {
        if !self.enabled() {
            return;
        }
        let mut bad = |key: &str, value: &str, problem: &str, example: &str| {
            problems.push(Problem::new(
                &format!("api.jwt.{key}"),
                value,
                problem,
                example,
            ))
        };
        match self.algorithm.trim() {
            "RS256" => {
                if self.public_key_file.trim().is_empty() {
                    bad(
                        "public_key_file",
                        "\"\"",
                        "RS256 needs the issuer's public key (PEM)",
                        "\"/etc/hikbridge/oauth-public.key\"",
                    );
                } else if !self.public_key_pem.is_empty()
                    && jsonwebtoken::DecodingKey::from_rsa_pem(&self.public_key_pem).is_err()
                {
                    bad(
                        "public_key_file",
                        &quoted(&self.public_key_file),
                        "is not an RSA public key in PEM form",
                        "-----BEGIN PUBLIC KEY----- …",
                    );
                }
            }
            "HS256" => {
                if self.secret.expose().len() < 32 {
                    bad("secret", "(hidden)", "HS256 needs the shared secret, at least 32 bytes (HIKBRIDGE__API__JWT__SECRET or api.jwt.secret_file)", "JWT_SECRET of tymon/jwt-auth");
                }
            }
            other => bad(
                "algorithm",
                &quoted(other),
                "must be RS256, HS256 or empty (off)",
                "\"RS256\"",
            ),
        }
        if self.issuer.trim().is_empty() {
            bad(
                "issuer",
                "\"\"",
                "set the issuer the tokens carry (iss)",
                "\"https://siad.example.edu\"",
            );
        }
        if self.audience.trim().is_empty() {
            bad(
                "audience",
                "\"\"",
                "set the audience the tokens carry (aud)",
                "\"hikbridge\"",
            );
        }
        if self.user_claim.trim().is_empty() {
            bad(
                "user_claim",
                "\"\"",
                "name the claim holding the user",
                "\"sub\"",
            );
        }
        if self.scopes_claim.trim().is_empty() && self.role_claim.trim().is_empty() {
            bad(
                "scopes_claim",
                "\"\"",
                "set scopes_claim or role_claim (with role_scopes)",
                "\"scope\"",
            );
        }
        for item in &self.role_scopes {
            if let Err(problem) = parse_role_item(item) {
                bad(
                    "role_scopes",
                    &quoted(item),
                    &problem,
                    "\"biometrico-staff=sync\"",
                );
            }
        }
        if self.allowed_scopes.is_empty() {
            bad(
                "allowed_scopes",
                "[]",
                "user tokens need at least one allowed scope",
                "[\"sync\"]",
            );
        }
        if !valid_client_name(&self.client_name) {
            bad(
                "client_name",
                &quoted(&self.client_name),
                "must be 1–64 letters, digits, '.', '_' or '-'",
                "\"siad-users\"",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_items_name_a_role_and_known_scopes() {
        let (role, scopes) = parse_role_item("rrhh-admin=read operate").unwrap();
        assert_eq!(role, "rrhh-admin");
        assert_eq!(scopes, [Scope::Read, Scope::Operate].into_iter().collect());
        assert!(parse_role_item("staff").is_err());
        assert!(parse_role_item("=sync").is_err());
        assert!(parse_role_item("staff=superuser").is_err());
    }
}
