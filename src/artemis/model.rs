//! Artemis wire types: the envelope, result codes, persons, organisations and events.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;

/// `{"code":"0","msg":"Success","data":...}`. `code` is a JSON string on the wire; numbers are
/// tolerated.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Envelope {
    #[serde(deserialize_with = "string_or_number")]
    pub code: String,
    #[serde(default)]
    pub msg: String,
    #[serde(default)]
    pub data: Value,
}

impl Envelope {
    pub fn is_success(&self) -> bool {
        self.code == "0"
    }
}

/// Accept `"0"`, `0` or `null` as a string.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// How a result code is handled (reference §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    Success,
    /// Back off and retry.
    Throttled,
    /// Transient upstream trouble: retry with backoff.
    Transient,
    NotFound,
    AlreadyExists,
    /// Will not succeed by retrying.
    Permanent,
}

/// The typed meaning of an Artemis failure code, with `Other(code, msg)` for the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtemisCode {
    #[error("incorrect request parameter (code 2): {0}")]
    BadParameter(String),
    #[error("HikCentral is busy (code 6): {0}")]
    Busy(String),
    #[error("this HikCentral edition or licence does not offer the API (code {code}): {msg}")]
    NotSupported { code: String, msg: String },
    #[error("the AppKey has no permission for OpenAPI access (code 17): {0}")]
    NoOpenApiPermission(String),
    #[error("resource does not exist (code 128): {0}")]
    NotFound(String),
    #[error("no permission for the resource (code 130): {0}")]
    NoResourcePermission(String),
    #[error("resource already exists (code 131): {0}")]
    AlreadyExists(String),
    #[error("maximum number of resources reached (code 132): {0}")]
    LimitReached(String),
    #[error("invalid signature (code 0x02401003): {0}; check AppKey/AppSecret and use `hikbridge artemis sign` to compare")]
    InvalidSignature(String),
    #[error("no permission (code 0x02401007): {0}")]
    NoPermission(String),
    #[error("HikCentral throttled the call (code {code}): {msg}")]
    Throttled { code: String, msg: String },
    #[error("HikCentral service error (code {code}): {msg}")]
    ServiceError { code: String, msg: String },
    #[error("bad parameter (code {code}): {msg}")]
    Parameter { code: String, msg: String },
    #[error("response too long, reduce the page size (code 0x00072004): {0}")]
    ResponseTooLong(String),
    #[error(
        "HikCentral's licence is exhausted (code {code}): {msg}; free licences or extend the \
         licence in HikCentral before registering more people"
    )]
    LicenceExhausted { code: String, msg: String },
    #[error(
        "HikCentral refuses the AppKey (code {code}): {msg}; check hikcentral.app_key and the \
         partner's AppSecret in HikCentral's OpenAPI settings"
    )]
    AppKeyRefused { code: String, msg: String },
    #[error("HikCentral answered code {0}: {1}")]
    Other(String, String),
}

impl ArtemisCode {
    /// Map an envelope code and message; `None` for success.
    pub fn from_code(code: &str, msg: &str) -> Option<Self> {
        let m = msg.to_string();
        let c = normalise_code(code);
        Some(match c.as_str() {
            "0" => return None,
            "2" => Self::BadParameter(m),
            "6" => Self::Busy(m),
            "8" | "12" => Self::NotSupported { code: c, msg: m },
            "17" => Self::NoOpenApiPermission(m),
            "128" | "0x00072203" => Self::NotFound(m),
            "130" => Self::NoResourcePermission(m),
            "131" => Self::AlreadyExists(m),
            "132" => Self::LimitReached(m),
            "0x02401003" => Self::InvalidSignature(m),
            "0x02401007" => Self::NoPermission(m),
            "0x02401009" | "0x00052101" => Self::Throttled { code: c, msg: m },
            // Transient: network timeout, service exception, connecting to a service, resource
            // offline, connecting to a device, gateway authentication exception.
            "4" | "5" | "16" | "129" | "194" | "0x02401008" | "0x00052102" | "0x00052103"
            | "0x00052104" => Self::ServiceError { code: c, msg: m },
            "0x00072204" => Self::LicenceExhausted { code: c, msg: m },
            "0x02401000" | "0x02401001" | "0x02401004" | "0x02401005" | "0x02401006" | "9"
            | "64" | "65" | "66" | "67" => Self::AppKeyRefused { code: c, msg: m },
            "0x00072201" | "0x00072202" => Self::NoResourcePermission(m),
            "0x00072001" | "0x00072002" | "0x00072003" => Self::Parameter { code: c, msg: m },
            "0x00072004" => Self::ResponseTooLong(m),
            _ => Self::Other(c, m),
        })
    }

    pub fn class(&self) -> CodeClass {
        match self {
            Self::Busy(_) | Self::Throttled { .. } => CodeClass::Throttled,
            Self::ServiceError { .. } => CodeClass::Transient,
            Self::NotFound(_) => CodeClass::NotFound,
            Self::AlreadyExists(_) => CodeClass::AlreadyExists,
            _ => CodeClass::Permanent,
        }
    }

    /// The wire code, as HikCentral sent it (hex codes lower-cased).
    pub fn code(&self) -> String {
        match self {
            Self::BadParameter(_) => "2".into(),
            Self::Busy(_) => "6".into(),
            Self::NoOpenApiPermission(_) => "17".into(),
            Self::NotFound(_) => "128".into(),
            Self::NoResourcePermission(_) => "130".into(),
            Self::AlreadyExists(_) => "131".into(),
            Self::LimitReached(_) => "132".into(),
            Self::InvalidSignature(_) => "0x02401003".into(),
            Self::NoPermission(_) => "0x02401007".into(),
            Self::ResponseTooLong(_) => "0x00072004".into(),
            Self::NotSupported { code, .. }
            | Self::LicenceExhausted { code, .. }
            | Self::AppKeyRefused { code, .. }
            | Self::Throttled { code, .. }
            | Self::ServiceError { code, .. }
            | Self::Parameter { code, .. }
            | Self::Other(code, _) => code.clone(),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::BadParameter(m)
            | Self::Busy(m)
            | Self::NoOpenApiPermission(m)
            | Self::NotFound(m)
            | Self::NoResourcePermission(m)
            | Self::AlreadyExists(m)
            | Self::LimitReached(m)
            | Self::InvalidSignature(m)
            | Self::NoPermission(m)
            | Self::ResponseTooLong(m)
            | Self::Other(_, m) => m,
            Self::NotSupported { msg, .. }
            | Self::LicenceExhausted { msg, .. }
            | Self::AppKeyRefused { msg, .. }
            | Self::Throttled { msg, .. }
            | Self::ServiceError { msg, .. }
            | Self::Parameter { msg, .. } => msg,
        }
    }
}

/// Classify a raw code without building the error (used by the retry policy).
pub fn classify_code(code: &str) -> CodeClass {
    ArtemisCode::from_code(code, "").map_or(CodeClass::Success, |c| c.class())
}

/// Hex codes arrive as `0x02401009` or `0X02401009`; keep one spelling.
fn normalise_code(code: &str) -> String {
    let t = code.trim();
    match t.get(..2) {
        Some("0x") | Some("0X") => format!("0x{}", t[2..].to_ascii_lowercase()),
        _ => t.to_string(),
    }
}

/// A page of a list answer: `{total, pageNo, pageSize, list}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default, deserialize_with = "u64_lenient")]
    pub total: u64,
    #[serde(default, deserialize_with = "u64_lenient")]
    pub page_no: u64,
    #[serde(default, deserialize_with = "u64_lenient")]
    pub page_size: u64,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub list: Vec<T>,
}

pub fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `/artemis/api/common/v1/version` answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    #[serde(default)]
    pub produce_name: String,
    #[serde(default)]
    pub soft_version: String,
}

impl fmt::Display for VersionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.produce_name, self.soft_version)
    }
}

/// HikCentral's limits on subscribed event types: at most 256, each 100000..=2147483647.
pub fn check_subscription_types(types: &[u32]) -> Result<(), String> {
    if types.len() > 256 {
        return Err(format!(
            "{} event types: HikCentral subscribes at most 256 per request",
            types.len()
        ));
    }
    if let Some(bad) = types
        .iter()
        .find(|t| !(100_000..=2_147_483_647).contains(*t))
    {
        return Err(format!(
            "event type {bad} is outside HikCentral's range 100000..=2147483647"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_their_class() {
        let table = [
            ("0", CodeClass::Success),
            ("6", CodeClass::Throttled),
            ("0x02401009", CodeClass::Throttled),
            ("0X02401009", CodeClass::Throttled),
            ("0x00052101", CodeClass::Throttled),
            ("0x00052103", CodeClass::Transient),
            // The transient codes of the spec's appendix: retried, never parked at once.
            ("4", CodeClass::Transient),
            ("5", CodeClass::Transient),
            ("16", CodeClass::Transient),
            ("129", CodeClass::Transient),
            ("194", CodeClass::Transient),
            ("128", CodeClass::NotFound),
            ("0x00072203", CodeClass::NotFound),
            ("0x00072204", CodeClass::Permanent),
            ("131", CodeClass::AlreadyExists),
            ("0x02401003", CodeClass::Permanent),
            ("12", CodeClass::Permanent),
            ("999", CodeClass::Permanent),
        ];
        for (code, class) in table {
            assert_eq!(classify_code(code), class, "code {code}");
        }
    }

    #[test]
    fn licence_and_appkey_refusals_are_said_plainly() {
        let licence = ArtemisCode::from_code("0x00072204", "max licenses").unwrap();
        assert!(
            licence.to_string().contains("licence is exhausted"),
            "{licence}"
        );
        assert_eq!(licence.code(), "0x00072204");
        let key = ArtemisCode::from_code("0x02401001", "partner missing").unwrap();
        assert!(key.to_string().contains("hikcentral.app_key"), "{key}");
    }

    #[test]
    fn unknown_codes_keep_code_and_message() {
        let e = ArtemisCode::from_code("4242", "strange").unwrap();
        assert_eq!(e, ArtemisCode::Other("4242".into(), "strange".into()));
        assert_eq!(e.code(), "4242");
        assert_eq!(e.message(), "strange");
    }

    #[test]
    fn envelope_accepts_numeric_code_and_missing_data() {
        let e: Envelope = serde_json::from_str(r#"{"code":0,"msg":"Success"}"#).unwrap();
        assert!(e.is_success());
        assert!(e.data.is_null());
    }

    #[test]
    fn page_tolerates_strings_and_null_list() {
        let p: Page<Value> =
            serde_json::from_str(r#"{"total":"3","pageNo":1,"pageSize":"2","list":null}"#).unwrap();
        assert_eq!(
            (p.total, p.page_no, p.page_size, p.list.len()),
            (3, 1, 2, 0)
        );
    }
}
