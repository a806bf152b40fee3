//! Humand client: Basic auth → shared pace (RateLimit policy) → timeout → HTTP, with retries
//! for 429 (Retry-After), 5xx, timeouts and connection errors.

use crate::config::HumandSettings;
use crate::secret::Secret;
use crate::upstream::health::UpstreamHealth;
use crate::upstream::pace::{PaceLayer, Pacer};
use crate::upstream::retry::{classify_transport, Backoff, Classify, RetryPolicy, Verdict};
use crate::upstream::transport::{error_chain, HttpTransport};
use crate::upstream::{BoxError, TransportError, UpstreamRequest, UpstreamResponse};
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

#[derive(Debug, thiserror::Error)]
pub enum HumandError {
    #[error("Humand answered HTTP {status} {code}: {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
        body: String,
    },
    /// The request may or may not have reached Humand (timeout, broken connection).
    #[error("no answer from Humand: {0}")]
    Transport(String),
    /// The request certainly did not reach Humand (connection refused, DNS, TLS).
    #[error("cannot reach Humand: {0}")]
    NotSent(String),
    #[error("Humand gave no usable answer after {attempts} attempt(s): {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("Humand's answer could not be read: {0}")]
    Decode(String),
}

impl HumandError {
    /// 401/403: the key is wrong or lacks permission; nothing will work until it is fixed.
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            Self::Http {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// Humand's error body: `{message, code, metadata}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: String,
}

struct HumandClassifier;

impl Classify for HumandClassifier {
    fn classify(&self, result: &Result<UpstreamResponse, BoxError>) -> Verdict {
        classify_transport(result).unwrap_or(Verdict::Done)
    }
}

/// Adds `Authorization: Basic <api_key>`: the key Humand issues is already the credential.
#[derive(Clone)]
struct BasicAuthLayer(HeaderValue);

impl<S> Layer<S> for BasicAuthLayer {
    type Service = BasicAuth<S>;
    fn layer(&self, inner: S) -> BasicAuth<S> {
        BasicAuth(inner, self.0.clone())
    }
}

#[derive(Clone)]
struct BasicAuth<S>(S, HeaderValue);

impl<S: Service<UpstreamRequest>> Service<UpstreamRequest> for BasicAuth<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, mut req: UpstreamRequest) -> S::Future {
        req.headers
            .insert(http::header::AUTHORIZATION, self.1.clone());
        req.headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if !req.body.is_empty() {
            req.headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        self.0.call(req)
    }
}

fn auth_header(key: &Secret) -> anyhow::Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Basic {}", key.expose())).map_err(|_| {
        anyhow::anyhow!("the Humand API key holds characters a header cannot carry")
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[derive(Clone)]
pub struct HumandClient {
    svc: BoxCloneSyncService<UpstreamRequest, UpstreamResponse, BoxError>,
    /// The same stack without the retry layer, for requests that must not be repeated blindly.
    once: BoxCloneSyncService<UpstreamRequest, UpstreamResponse, BoxError>,
    health: Arc<UpstreamHealth>,
    pacer: Arc<Pacer>,
    base_url: url::Url,
}

impl std::fmt::Debug for HumandClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HumandClient")
            .field("base_url", &self.base_url.as_str())
            .finish()
    }
}

impl HumandClient {
    /// The pace every Humand caller in the process shares: the documented policy, spread
    /// evenly, with at most `in_flight` requests at once (`delivery.concurrency`).
    pub fn pacer_for(settings: &HumandSettings, in_flight: u32) -> Arc<Pacer> {
        Pacer::per_window(
            "humand",
            settings.rate_limit,
            settings.rate_window,
            in_flight.max(1),
        )
    }

    pub fn new(settings: &HumandSettings, pacer: Arc<Pacer>) -> anyhow::Result<Self> {
        let base_url = url::Url::parse(settings.base_url.trim())
            .map_err(|e| anyhow::anyhow!("humand.base_url is not a URL: {e}"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("hikbridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let backoff = Backoff {
            max_attempts: settings.max_attempts.max(1),
            base: Duration::from_millis(1000),
            max: Duration::from_secs(60),
        };
        let pause_target = pacer.clone();
        let policy = RetryPolicy::new("humand", backoff, Arc::new(HumandClassifier))
            .on_retry_after(Arc::new(move |d| {
                pause_target.pause_until(tokio::time::Instant::now() + d)
            }));
        let once = ServiceBuilder::new()
            .layer(PaceLayer::new(pacer.clone()))
            .layer(BasicAuthLayer(auth_header(&settings.api_key)?))
            .layer(tower::timeout::TimeoutLayer::new(settings.timeout))
            .service(HttpTransport::new(http, base_url.clone()).named("humand"));
        let stack = ServiceBuilder::new()
            .layer(tower::retry::RetryLayer::new(policy))
            .service(once.clone());
        Ok(Self {
            svc: BoxCloneSyncService::new(stack),
            once: BoxCloneSyncService::new(once),
            health: Arc::new(UpstreamHealth::default()),
            pacer,
            base_url,
        })
    }

    pub fn health(&self) -> &Arc<UpstreamHealth> {
        &self.health
    }

    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    /// Send one request through the stack and read a JSON answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), HumandError> {
        let req = request(method, path, query, body)?;
        let result = match self.svc.clone().oneshot(req).await {
            Ok(resp) => {
                self.follow_rate_limit(&resp);
                read_answer(&resp)
            }
            Err(e) => Err(map_stack_error(e)),
        };
        match &result {
            Ok(_) => self.health.record_ok(),
            Err(HumandError::Http { status, .. })
                if *status < 500 && *status != 401 && *status != 403 && *status != 429 =>
            {
                self.health.record_ok()
            }
            Err(e) => self.health.record_error(&e.to_string()),
        }
        result
    }

    /// One attempt, no retry: the caller decides what a failure means (clock calls have no
    /// idempotency key, so a blind resend could create a duplicate). Any HTTP answer is `Ok`.
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<UpstreamResponse, HumandError> {
        let req = request(method, path, query, body)?;
        match self.once.clone().oneshot(req).await {
            Ok(resp) => {
                self.follow_rate_limit(&resp);
                match resp.status.as_u16() {
                    s @ (401 | 403) => self.health.record_error(&format!("HTTP {s} (credentials)")),
                    200..=299 | 400..=428 | 430..=499 => self.health.record_ok(),
                    s => self.health.record_error(&format!("HTTP {s}")),
                }
                Ok(resp)
            }
            Err(e) => {
                let err = map_stack_error(e);
                self.health.record_error(&err.to_string());
                Err(err)
            }
        }
    }

    /// Tell the pacer the budget Humand announced; wait out Retry-After.
    fn follow_rate_limit(&self, resp: &UpstreamResponse) {
        let now = tokio::time::Instant::now();
        if let Some(state) = super::ratelimit::parse_rate_limit(&resp.headers) {
            crate::metrics::humand_budget(state.remaining, state.limit);
            self.pacer.observe(crate::upstream::pace::Announced {
                remaining: state.remaining,
                reset: Duration::from_secs(state.reset_secs),
            });
        }
        if resp.status.as_u16() == 429 {
            let wait = crate::upstream::retry::wait_after_429(resp.header("retry-after"));
            self.pacer.pause_until(now + wait);
        }
    }

    /// A read that proves the key works: the first page of `/users`.
    pub async fn check(&self) -> Result<String, HumandError> {
        let (_, v) = self
            .send(
                Method::GET,
                "/users",
                &[("page", "1"), ("limit", "10")],
                None,
            )
            .await?;
        let count = v.get("count").and_then(Value::as_u64).unwrap_or(0);
        Ok(format!("{count} user(s) visible to this key"))
    }
}

/// The body serialised once; the query raw (the transport encodes it).
fn request(
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<UpstreamRequest, HumandError> {
    let bytes = match body {
        Some(b) => {
            Bytes::from(serde_json::to_vec(b).map_err(|e| HumandError::Decode(e.to_string()))?)
        }
        None => Bytes::new(),
    };
    let mut req = UpstreamRequest::new(method, path, bytes);
    req.query = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(req)
}

/// Humand's error `code` and `message`, or no code and the start of the body.
fn error_fields(parsed: Option<Value>, resp: &UpstreamResponse) -> (String, String) {
    parsed
        .and_then(|v| serde_json::from_value::<ErrorBody>(v).ok())
        .map(|e| (e.code, e.message))
        .unwrap_or_else(|| (String::new(), resp.body_snippet()))
}

/// Humand's `message` from a refusal (for logs and operators).
pub fn error_message(resp: &UpstreamResponse) -> String {
    error_fields(serde_json::from_slice(&resp.body).ok(), resp).1
}

fn read_answer(resp: &UpstreamResponse) -> Result<(u16, Value), HumandError> {
    let status = resp.status.as_u16();
    let parsed: Option<Value> = serde_json::from_slice(&resp.body).ok();
    if resp.status.is_success() {
        return parsed
            .map(|v| (status, v))
            .ok_or_else(|| HumandError::Decode(format!("not JSON: {}", resp.body_snippet())));
    }
    let (code, message) = error_fields(parsed, resp);
    let hint = match status {
        401 => " (check HIKBRIDGE__HUMAND__API_KEY: send the key exactly as Humand issued it)",
        403 => " (the key lacks a permission, e.g. time tracking, or this IP is not allowed)",
        _ => "",
    };
    Err(HumandError::Http {
        status,
        code,
        message: format!("{message}{hint}"),
        body: resp.body_snippet(),
    })
}

fn map_stack_error(e: BoxError) -> HumandError {
    match e.downcast_ref::<TransportError>() {
        Some(TransportError::Exhausted { attempts, last }) => HumandError::GaveUp {
            attempts: *attempts,
            last: last.clone(),
        },
        Some(TransportError::Connect(c)) => HumandError::NotSent(c.clone()),
        Some(other) => HumandError::Transport(other.to_string()),
        None if e.is::<tower::timeout::error::Elapsed>() => {
            HumandError::Transport("no answer before humand.timeout_ms".into())
        }
        None => HumandError::Transport(error_chain(e.as_ref())),
    }
}
