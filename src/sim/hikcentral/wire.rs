//! The simulator's side of the wire: result codes, the `{code,msg,data}` envelope and a
//! lenient reader for JSON request bodies (numbers may arrive as strings).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Result codes the simulator answers with (reference §2).
pub(crate) mod code {
    pub const OK: &str = "0";
    pub const BAD_PARAMETER: &str = "2";
    /// "This product version is not supported."
    pub const VERSION_NOT_SUPPORTED: &str = "8";
    pub const NOT_SUPPORTED: &str = "12";
    /// "User is locked" (the simulator's answer for a locked IP; UNCONFIRMED).
    pub const LOCKED: &str = "65";
    pub const NOT_FOUND: &str = "128";
    pub const ALREADY_EXISTS: &str = "131";
    pub const INVALID_SIGNATURE: &str = "0x02401003";
    pub const THROTTLED: &str = "0x02401009";
    pub const MISSING: &str = "0x00072001";
    pub const OUT_OF_RANGE: &str = "0x00072002";
    pub const BAD_FORMAT: &str = "0x00072003";
    pub const RESPONSE_TOO_LONG: &str = "0x00072004";
    pub const RESOURCE_MISSING: &str = "0x00072203";
}

/// Largest `pageSize` any list API accepts.
pub(crate) const MAX_PAGE_SIZE: u64 = 500;

/// A failure envelope: HTTP 200 with a non-`"0"` code, and `data` when the API gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub code: &'static str,
    pub msg: String,
    pub data: Option<Value>,
}

impl ApiError {
    pub fn new(code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            data: None,
        }
    }

    /// The same failure, carrying `data` (e.g. `{remainLockNumber}`).
    pub fn with_data(self, data: Value) -> Self {
        Self {
            data: Some(data),
            ..self
        }
    }

    /// Code `2`, "incorrect request parameter".
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::new(code::BAD_PARAMETER, msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            Json(envelope(self.code, &self.msg, self.data)),
        )
            .into_response()
    }
}

pub(crate) type ApiResult = Result<Value, ApiError>;

/// `{"code":..,"msg":..}` plus `data` when given.
pub(crate) fn envelope(code: &str, msg: &str, data: Option<Value>) -> Value {
    let mut v = json!({ "code": code, "msg": msg });
    if let Some(d) = data {
        v["data"] = d;
    }
    v
}

/// The HTTP answer for an API result.
pub(crate) fn reply(result: ApiResult) -> Response {
    match result {
        Ok(data) => Json(envelope(code::OK, "Success", Some(data))).into_response(),
        Err(e) => e.into_response(),
    }
}

/// (items to skip, items to take) for page `page_no` (from 1) of `page_size`.
pub(crate) fn page_window(page_no: u64, page_size: u64) -> (usize, usize) {
    let skip = page_no.saturating_sub(1).saturating_mul(page_size);
    (
        usize::try_from(skip).unwrap_or(usize::MAX),
        usize::try_from(page_size).unwrap_or(usize::MAX),
    )
}

/// `{total, pageNo, pageSize, list}` for a page already cut out of `total` items.
pub(crate) fn page_json(total: usize, page_no: u64, page_size: u64, list: Vec<Value>) -> Value {
    json!({ "total": total, "pageNo": page_no, "pageSize": page_size, "list": list })
}

/// `{total, pageNo, pageSize, list}` for one page of `items`.
pub(crate) fn page_of(items: Vec<Value>, page_no: u64, page_size: u64) -> Value {
    let total = items.len();
    let (skip, take) = page_window(page_no, page_size);
    let list: Vec<Value> = items.into_iter().skip(skip).take(take).collect();
    page_json(total, page_no, page_size, list)
}

/// A string, or a number written as one.
pub(crate) fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer, or an integer written as a string.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON-object request body. `null` values count as absent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    /// The body must be a JSON object, else code `2`.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::bad("request body must be a JSON object")),
            Err(e) => Err(ApiError::bad(format!(
                "request body is not valid JSON: {e}"
            ))),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An optional string (numbers accepted); `""` counts as absent.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match as_string(v) {
                Some(s) if s.is_empty() => Ok(None),
                Some(s) => Ok(Some(s)),
                None => Err(ApiError::new(
                    code::BAD_FORMAT,
                    format!("{key} must be a string"),
                )),
            },
        }
    }

    /// A required, non-empty string; absent answers `missing_code`.
    pub fn req_str(&self, key: &str, missing_code: &'static str) -> Result<String, ApiError> {
        self.opt_str(key)?
            .ok_or_else(|| ApiError::new(missing_code, format!("{key} is required")))
    }

    /// An optional integer (numeric strings accepted).
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v) => as_i64(v).map(Some).ok_or_else(|| {
                ApiError::new(code::BAD_FORMAT, format!("{key} must be an integer"))
            }),
        }
    }

    /// `pageNo` ≥ 1 and `pageSize` in 1..=500, both required.
    pub fn page(&self) -> Result<(u64, u64), ApiError> {
        let mut out = [0u64; 2];
        for (slot, (key, max)) in out
            .iter_mut()
            .zip([("pageNo", u64::MAX), ("pageSize", MAX_PAGE_SIZE)])
        {
            let n = self
                .opt_int(key)?
                .ok_or_else(|| ApiError::new(code::MISSING, format!("{key} is required")))?;
            *slot = u64::try_from(n)
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::new(
                        code::OUT_OF_RANGE,
                        format!("{key} must be between 1 and {max}, got {n}"),
                    )
                })?;
        }
        Ok((out[0], out[1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Params {
        Params::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn body_must_be_a_json_object() {
        for body in ["", "[1]", "\"x\"", "{bad"] {
            let e = Params::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.code, code::BAD_PARAMETER, "body {body:?}");
        }
    }

    #[test]
    fn numbers_may_arrive_as_strings() {
        let p = params(r#"{"pageNo":"2","pageSize":50,"personId":187}"#);
        assert_eq!(p.page().unwrap(), (2, 50));
        assert_eq!(p.opt_str("personId").unwrap().as_deref(), Some("187"));
    }

    #[test]
    fn page_limits_use_the_range_and_missing_codes() {
        let e = params(r#"{"pageNo":1,"pageSize":501}"#).page().unwrap_err();
        assert_eq!(e.code, code::OUT_OF_RANGE);
        let e = params(r#"{"pageNo":0,"pageSize":5}"#).page().unwrap_err();
        assert_eq!(e.code, code::OUT_OF_RANGE);
        let e = params(r#"{"pageSize":5}"#).page().unwrap_err();
        assert_eq!(e.code, code::MISSING);
        let e = params(r#"{"pageNo":"one","pageSize":5}"#)
            .page()
            .unwrap_err();
        assert_eq!(e.code, code::BAD_FORMAT);
    }

    #[test]
    fn empty_and_null_strings_are_absent() {
        let p = params(r#"{"a":"","b":null,"c":[]}"#);
        assert_eq!(p.opt_str("a").unwrap(), None);
        assert_eq!(p.opt_str("b").unwrap(), None);
        assert_eq!(p.opt_str("c").unwrap_err().code, code::BAD_FORMAT);
        assert_eq!(
            p.req_str("a", code::MISSING).unwrap_err().code,
            code::MISSING
        );
    }

    #[test]
    fn pages_slice_the_items() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let page = page_of(items, 2, 2);
        assert_eq!(page["total"], 5);
        assert_eq!(page["list"], json!([2, 3]));
        assert_eq!(page_of(vec![json!(1)], 3, 2)["list"], json!([]));
    }
}
