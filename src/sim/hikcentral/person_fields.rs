//! Validation of the person fields sent to `person/single/add` and `person/single/update`,
//! with HikCentral's rules: required names and organisation, personCode format, ISO-8601
//! validity times, cards, and one base64 JPEG face within the size limit.

use super::validity::{self, Window};
use super::wire::{as_string, code, ApiError, Params};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

/// Longest personCode accepted.
pub(crate) const MAX_PERSON_CODE: usize = 32;

/// The fields of one person as sent; every optional field that was left out is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PersonFields {
    pub code: Option<String>,
    pub given: String,
    pub family: String,
    pub gender: i64,
    pub org: String,
    pub phone: String,
    pub email: String,
    pub remark: String,
    pub cards: Vec<Value>,
    pub begin: Option<String>,
    pub end: Option<String>,
    /// Decoded JPEG bytes of `faces[0].faceData`.
    pub face: Option<Vec<u8>>,
}

/// The limits a person's fields are checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldRules {
    pub max_face_bytes: usize,
    /// Refuse a validity after 2037-12-31T23:59:59.
    pub validity_capped: bool,
}

impl PersonFields {
    /// Read and validate everything but the organisation's existence (the store knows that).
    pub fn parse(p: &Params, rules: FieldRules) -> Result<Self, ApiError> {
        let code = p.opt_str("personCode")?.map(person_code).transpose()?;
        let given = p.req_str("personGivenName", code::BAD_PARAMETER)?;
        let family = p.req_str("personFamilyName", code::BAD_PARAMETER)?;
        let org = p.req_str("orgIndexCode", code::BAD_PARAMETER)?;
        let gender = p.opt_int("gender")?.unwrap_or(0);
        if !(0..=2).contains(&gender) {
            return Err(ApiError::bad(format!(
                "gender must be 0 (unknown), 1 (male) or 2 (female), got {gender}"
            )));
        }
        let begin = iso_time(p, "beginTime", rules.validity_capped)?;
        let end = iso_time(p, "endTime", rules.validity_capped)?;
        let window = Window::of(begin.as_deref(), end.as_deref());
        if let (Some(b), Some(e)) = (window.begin, window.end) {
            if e < b {
                return Err(ApiError::bad("endTime is before beginTime"));
            }
        }
        Ok(Self {
            code,
            given,
            family,
            gender,
            org,
            phone: p.opt_str("phoneNo")?.unwrap_or_default(),
            email: p.opt_str("email")?.unwrap_or_default(),
            remark: p.opt_str("remark")?.unwrap_or_default(),
            cards: cards(p)?,
            begin,
            end,
            face: faces(p, rules.max_face_bytes)?,
        })
    }

    /// The validity window these fields give.
    pub fn window(&self) -> Window {
        Window::of(self.begin.as_deref(), self.end.as_deref())
    }
}

/// ≤ 32 characters, no hyphen, no whitespace.
pub(crate) fn person_code(code: String) -> Result<String, ApiError> {
    let bad = |why: &str| {
        Err(ApiError::new(
            code::BAD_FORMAT,
            format!("personCode {code:?} is invalid: {why}"),
        ))
    };
    if code.chars().count() > MAX_PERSON_CODE {
        return bad("longer than 32 characters");
    }
    if code.contains('-') {
        return bad("hyphens are not allowed");
    }
    if code.chars().any(char::is_whitespace) {
        return bad("whitespace is not allowed");
    }
    Ok(code)
}

/// An optional ISO-8601 time with a numeric offset, kept as sent.
fn iso_time(p: &Params, key: &str, capped: bool) -> Result<Option<String>, ApiError> {
    let Some(s) = p.opt_str(key)? else {
        return Ok(None);
    };
    validity::check(key, &s, capped)?;
    Ok(Some(s))
}

/// `cards:[{"cardNo":"..."}]`, each with a non-empty cardNo (kept as a string).
fn cards(p: &Params) -> Result<Vec<Value>, ApiError> {
    let Some(v) = p.get("cards") else {
        return Ok(Vec::new());
    };
    let Some(items) = v.as_array() else {
        return Err(ApiError::new(code::BAD_FORMAT, "cards must be a list"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, card)| {
            let no = card
                .get("cardNo")
                .and_then(as_string)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::bad(format!("cards[{i}].cardNo is required")))?;
            let mut card = card.clone();
            card["cardNo"] = json!(no);
            Ok(card)
        })
        .collect()
}

/// `faces:[{"faceData":"<base64 JPEG>"}]`: at most one face.
fn faces(p: &Params, max_face_bytes: usize) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(v) = p.get("faces") else {
        return Ok(None);
    };
    let Some(items) = v.as_array() else {
        return Err(ApiError::new(code::BAD_FORMAT, "faces must be a list"));
    };
    match items.as_slice() {
        [] => Ok(None),
        [face] => {
            let data = face
                .get("faceData")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("invalid face data: faces[0].faceData is required"))?;
            decode_face(data, max_face_bytes).map(Some)
        }
        _ => Err(ApiError::bad("invalid face data: only one face per person")),
    }
}

/// Base64 (no `data:` prefix) of a JPEG no larger than `max_bytes`.
pub(crate) fn decode_face(data: &str, max_bytes: usize) -> Result<Vec<u8>, ApiError> {
    let bad = |why: String| Err(ApiError::bad(format!("invalid face data: {why}")));
    if data.is_empty() {
        return bad("empty".into());
    }
    if data.starts_with("data:") {
        return bad("send bare base64, without a data: URI prefix".into());
    }
    let Ok(bytes) = B64.decode(data) else {
        return bad("not valid base64".into());
    };
    if bytes.len() > max_bytes {
        return bad(format!(
            "{} bytes is larger than the limit of {max_bytes} bytes",
            bytes.len()
        ));
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return bad("not a JPEG image".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: [u8; 6] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];

    fn parse(v: Value) -> Result<PersonFields, ApiError> {
        let rules = FieldRules {
            max_face_bytes: 100,
            validity_capped: true,
        };
        PersonFields::parse(&Params::parse(v.to_string().as_bytes()).unwrap(), rules)
    }

    fn minimal() -> Value {
        json!({"personGivenName":"Ana","personFamilyName":"Paz","orgIndexCode":"2"})
    }

    #[test]
    fn minimal_person_has_empty_optionals() {
        let f = parse(minimal()).unwrap();
        assert_eq!(
            (f.given.as_str(), f.family.as_str(), f.gender),
            ("Ana", "Paz", 0)
        );
        assert!(f.code.is_none() && f.face.is_none() && f.cards.is_empty());
    }

    #[test]
    fn required_names_and_org() {
        for key in ["personGivenName", "personFamilyName", "orgIndexCode"] {
            let mut v = minimal();
            v.as_object_mut().unwrap().remove(key);
            assert_eq!(parse(v).unwrap_err().code, code::BAD_PARAMETER, "{key}");
        }
    }

    #[test]
    fn person_code_rules() {
        assert!(person_code("1712345678".into()).is_ok());
        assert!(person_code("a".repeat(32)).is_ok());
        for bad in ["a".repeat(33), "17-1234".into(), "17 12".into()] {
            assert_eq!(person_code(bad).unwrap_err().code, code::BAD_FORMAT);
        }
    }

    #[test]
    fn times_need_an_offset() {
        let mut v = minimal();
        v["beginTime"] = json!("2026-01-01T00:00:00");
        assert_eq!(parse(v).unwrap_err().code, code::BAD_FORMAT);
        let mut v = minimal();
        v["beginTime"] = json!("2026-01-01T00:00:00-03:00");
        v["endTime"] = json!("2030-12-31T23:59:59-03:00");
        assert!(parse(v).is_ok());
    }

    #[test]
    fn gender_and_cards() {
        let mut v = minimal();
        v["gender"] = json!("3");
        assert_eq!(parse(v).unwrap_err().code, code::BAD_PARAMETER);
        let mut v = minimal();
        v["cards"] = json!([{"cardNo": 3405551234u64}]);
        assert_eq!(
            parse(v).unwrap().cards,
            vec![json!({"cardNo":"3405551234"})]
        );
    }

    #[test]
    fn faces_are_bare_base64_jpeg_within_the_limit() {
        assert_eq!(decode_face(&B64.encode(JPEG), 100).unwrap(), JPEG);
        let cases = [
            format!("data:image/jpeg;base64,{}", B64.encode(JPEG)),
            "%%%".into(),
            B64.encode(b"GIF89a"),
            B64.encode([&JPEG[..], &[0u8; 200]].concat()),
            String::new(),
        ];
        for data in cases {
            let e = decode_face(&data, 100).unwrap_err();
            assert_eq!(e.code, code::BAD_PARAMETER);
            assert!(e.msg.starts_with("invalid face data: "), "{}", e.msg);
        }
        let mut v = minimal();
        v["faces"] = json!([{"faceData": B64.encode(JPEG)}, {"faceData": B64.encode(JPEG)}]);
        assert!(parse(v).is_err());
    }
}
