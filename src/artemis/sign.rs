//! Artemis request signing (reference §1), as pure functions.
//!
//! The string to sign is the method, then `Accept`, `Content-MD5`, `Content-Type` and `Date`
//! **only when sent**, then each signed `x-ca-*` header as `name:value` sorted by name, then
//! the path with the raw, sorted query. Lines are joined by `\n` with no trailing newline.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

/// The headers the official SDK signs.
pub const DEFAULT_SIGNED_HEADERS: [&str; 3] = ["x-ca-key", "x-ca-nonce", "x-ca-timestamp"];

/// Everything that goes into the string to sign. Header values are exactly the bytes sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInput {
    pub method: String,
    pub accept: Option<String>,
    pub content_md5: Option<String>,
    pub content_type: Option<String>,
    pub date: Option<String>,
    /// Signed `x-ca-*` headers as (name, value); names are lower-cased and sorted when signing.
    pub headers: Vec<(String, String)>,
    /// The path including `/artemis`.
    pub path: String,
    /// Query or form parameters with raw (unencoded) values.
    pub query: Vec<(String, String)>,
}

impl SignInput {
    /// The string to sign, exactly as the gateway rebuilds it.
    pub fn string_to_sign(&self) -> String {
        let mut lines: Vec<String> = vec![self.method.to_ascii_uppercase()];
        for v in [
            &self.accept,
            &self.content_md5,
            &self.content_type,
            &self.date,
        ]
        .into_iter()
        .flatten()
        {
            lines.push(v.clone());
        }
        let mut headers: Vec<(String, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
            .collect();
        headers.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for (k, v) in headers {
            lines.push(format!("{k}:{v}"));
        }
        lines.push(path_with_query(&self.path, &self.query));
        lines.join("\n")
    }

    /// The comma-separated header names for `x-ca-signature-headers`, sorted.
    pub fn signature_headers(&self) -> String {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        names.sort();
        names.join(",")
    }
}

/// `path?k=v&k2=v2` with keys in case-sensitive byte order and raw values.
pub fn path_with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then(a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{path}?{}", joined.join("&"))
}

/// Base64(HMAC-SHA256(secret, string_to_sign)).
pub fn signature(app_secret: &str, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
    mac.update(string_to_sign.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// Base64 of the MD5 of the body: the `Content-MD5` header value.
pub fn content_md5(body: &[u8]) -> String {
    B64.encode(Md5::digest(body))
}

/// Constant-time comparison of two signatures.
pub fn signatures_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "26744628";
    const SECRET: &str = "Zq8n2kQpX3vL9mTz";
    const PATH: &str = "/artemis/api/resource/v1/person/advance/personList";
    const BODY: &str = r#"{"pageNo":1,"pageSize":1,"personCode":"1234567890"}"#;
    const TS: &str = "1767225600000";
    const NONCE: &str = "c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11";

    fn v1() -> SignInput {
        SignInput {
            method: "POST".into(),
            accept: Some("*/*".into()),
            content_type: Some("application/json;charset=UTF-8".into()),
            headers: vec![
                ("x-ca-timestamp".into(), TS.into()),
                ("x-ca-key".into(), KEY.into()),
                ("x-ca-nonce".into(), NONCE.into()),
            ],
            path: PATH.into(),
            ..Default::default()
        }
    }

    #[test]
    fn content_md5_of_the_reference_body() {
        assert_eq!(content_md5(BODY.as_bytes()), "qGZQO+8MShztQgnCtEc86Q==");
    }

    #[test]
    fn vector_v1_accept_any_no_md5() {
        let input = v1();
        assert_eq!(
            input.string_to_sign(),
            format!("POST\n*/*\napplication/json;charset=UTF-8\nx-ca-key:{KEY}\nx-ca-nonce:{NONCE}\nx-ca-timestamp:{TS}\n{PATH}")
        );
        assert_eq!(
            signature(SECRET, &input.string_to_sign()),
            "AatfkWH42T5dSKszEh45ubmGconjKY06HImhhriNXtU="
        );
        assert_eq!(
            input.signature_headers(),
            "x-ca-key,x-ca-nonce,x-ca-timestamp"
        );
    }

    #[test]
    fn vector_v2_json_accept_with_content_md5() {
        let input = SignInput {
            accept: Some("application/json".into()),
            content_md5: Some(content_md5(BODY.as_bytes())),
            ..v1()
        };
        assert_eq!(
            input.string_to_sign(),
            format!("POST\napplication/json\nqGZQO+8MShztQgnCtEc86Q==\napplication/json;charset=UTF-8\nx-ca-key:{KEY}\nx-ca-nonce:{NONCE}\nx-ca-timestamp:{TS}\n{PATH}")
        );
        assert_eq!(
            signature(SECRET, &input.string_to_sign()),
            "hqj8MqjD4YYX0AFX+YgQ0wEyP0iwzAFryKpOiT4DZSk="
        );
    }

    #[test]
    fn vector_v3_sorted_raw_query() {
        let input = SignInput {
            query: vec![
                ("pageSize".into(), "1".into()),
                ("pageNo".into(), "1".into()),
            ],
            ..v1()
        };
        assert!(input
            .string_to_sign()
            .ends_with(&format!("{PATH}?pageNo=1&pageSize=1")));
        assert_eq!(
            signature(SECRET, &input.string_to_sign()),
            "1kK/jioBxCsPD4mBZPDdv1Tn++EOXM5HiNeQ72XML7g="
        );
    }

    #[test]
    fn vector_v4_only_key_signed() {
        let input = SignInput {
            method: "POST".into(),
            accept: Some("application/json".into()),
            content_type: Some("application/json".into()),
            headers: vec![("x-ca-key".into(), KEY.into())],
            path: PATH.into(),
            ..Default::default()
        };
        assert_eq!(
            input.string_to_sign(),
            format!("POST\napplication/json\napplication/json\nx-ca-key:{KEY}\n{PATH}")
        );
        assert_eq!(
            signature(SECRET, &input.string_to_sign()),
            "+PySiHIZFloPlMw9+OIwpdZWFPv8+xUfxMpidGovcYM="
        );
    }

    #[test]
    fn absent_headers_produce_no_line() {
        let input = SignInput {
            method: "get".into(),
            path: "/artemis/x".into(),
            ..Default::default()
        };
        assert_eq!(input.string_to_sign(), "GET\n/artemis/x");
    }

    #[test]
    fn query_keys_sort_case_sensitively_and_values_stay_raw() {
        let q = vec![
            ("alpha".to_string(), "a b/c".to_string()),
            ("Mid".to_string(), "x".to_string()),
        ];
        assert_eq!(path_with_query("/p", &q), "/p?Mid=x&alpha=a b/c");
    }

    #[test]
    fn a_one_byte_change_changes_the_signature() {
        let good = signature(SECRET, &v1().string_to_sign());
        let mut tampered = v1();
        tampered.path.push('x');
        assert_ne!(good, signature(SECRET, &tampered.string_to_sign()));
        assert!(signatures_match(&good, &good.clone()));
        assert!(!signatures_match(&good, &good[1..]));
    }
}
