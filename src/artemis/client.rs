//! The signed HikCentral client: a tower stack of retry → shared pace → signing → timeout →
//! HTTP, and typed results.

use super::model::{classify_code, ArtemisCode, CodeClass, Envelope, VersionInfo};
use super::signer::{SignLayer, SignerConfig};
use crate::config::HikCentralSettings;
use crate::upstream::health::UpstreamHealth;
use crate::upstream::pace::{PaceLayer, Pacer};
use crate::upstream::retry::{classify_transport, Backoff, Classify, RetryPolicy, Verdict};
use crate::upstream::tls::TlsMode;
use crate::upstream::transport::{error_chain, HttpTransport};
use crate::upstream::{BoxError, TransportError, UpstreamRequest, UpstreamResponse};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};

/// Everything that can go wrong with a HikCentral call, keeping HikCentral's own code and text.
#[derive(Debug, thiserror::Error)]
pub enum ArtemisError {
    #[error("{0}")]
    Api(#[from] ArtemisCode),
    #[error("HikCentral answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("cannot reach HikCentral: {0}")]
    Transport(String),
    #[error("HikCentral gave no usable answer after {attempts} attempt(s): {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("HikCentral's answer could not be read: {0}")]
    Decode(String),
}

impl ArtemisError {
    /// Throttled now (the caller may tell its own client to come back later).
    pub fn is_throttled(&self) -> bool {
        match self {
            Self::Api(c) => c.class() == CodeClass::Throttled,
            Self::Http { status, .. } => *status == 429,
            // The retry policy words throttling reasons as "throttled: …" or "HTTP 429".
            Self::GaveUp { last, .. } => last.starts_with("throttled") || last == "HTTP 429",
            _ => false,
        }
    }

    /// The upstream code, when HikCentral gave one.
    pub fn upstream_code(&self) -> Option<String> {
        match self {
            Self::Api(c) => Some(c.code()),
            Self::Http { status, .. } => Some(format!("HTTP {status}")),
            _ => None,
        }
    }

    /// Did HikCentral itself answer (as opposed to being unreachable or broken)?
    fn upstream_answered(&self) -> bool {
        match self {
            Self::Api(c) => !matches!(
                c,
                ArtemisCode::InvalidSignature(_)
                    | ArtemisCode::NoOpenApiPermission(_)
                    | ArtemisCode::NoPermission(_)
                    | ArtemisCode::Throttled { .. }
                    | ArtemisCode::Busy(_)
                    | ArtemisCode::ServiceError { .. }
            ),
            _ => false,
        }
    }
}

/// Retry on what reference §2 calls throttling or transient, besides transport trouble.
struct ArtemisClassifier;

impl Classify for ArtemisClassifier {
    fn classify(&self, result: &Result<UpstreamResponse, BoxError>) -> Verdict {
        if let Some(v) = classify_transport(result) {
            return v;
        }
        let Ok(resp) = result else {
            return Verdict::Done;
        };
        if !resp.status.is_success() {
            return Verdict::Done;
        }
        match serde_json::from_slice::<Envelope>(&resp.body) {
            Ok(env) => match classify_code(&env.code) {
                class @ (CodeClass::Throttled | CodeClass::Transient) => Verdict::Retry {
                    reason: format!(
                        "{}HikCentral code {} ({})",
                        if class == CodeClass::Throttled {
                            "throttled: "
                        } else {
                            ""
                        },
                        env.code,
                        env.msg
                    ),
                    after: resp
                        .header("retry-after")
                        .and_then(crate::upstream::retry::parse_retry_after),
                },
                _ => Verdict::Done,
            },
            Err(_) => Verdict::Done,
        }
    }
}

/// A cheap-to-clone signed client; every clone shares the pace and the health record.
#[derive(Clone)]
pub struct ArtemisClient {
    svc: BoxCloneSyncService<UpstreamRequest, UpstreamResponse, BoxError>,
    /// The same stack without the retry layer, for calls that must never be sent twice (a
    /// person delete carrying the admin password: a retried wrong password locks the address).
    once: BoxCloneSyncService<UpstreamRequest, UpstreamResponse, BoxError>,
    health: Arc<UpstreamHealth>,
    pacer: Arc<Pacer>,
    tls: TlsMode,
    base_url: url::Url,
}

impl std::fmt::Debug for ArtemisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtemisClient")
            .field("base_url", &self.base_url.as_str())
            .field("tls", &self.tls.describe())
            .finish()
    }
}

impl ArtemisClient {
    /// The pacer every HikCentral caller in the process must share.
    pub fn pacer_for(settings: &HikCentralSettings) -> Arc<Pacer> {
        Pacer::per_second(
            "hikcentral",
            settings.requests_per_second,
            settings.max_concurrent,
        )
    }

    /// Build a client; `pacer` comes from [`ArtemisClient::pacer_for`], created once.
    pub fn new(settings: &HikCentralSettings, pacer: Arc<Pacer>) -> anyhow::Result<Self> {
        let base_url = url::Url::parse(settings.base_url.trim())
            .map_err(|e| anyhow::anyhow!("hikcentral.base_url is not a URL: {e}"))?;
        let tls = TlsMode::from_settings(&settings.tls)?;
        if tls == TlsMode::Insecure {
            tracing::warn!(
                base_url = %base_url,
                "hikcentral.tls.insecure is on: the HikCentral certificate is NOT verified; \
                 set hikcentral.tls.ca_file or hikcentral.tls.pin_sha256 instead"
            );
        }
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("hikbridge/", env!("CARGO_PKG_VERSION")));
        let http = crate::upstream::tls::apply(builder, &tls)?.build()?;
        let transport = HttpTransport::new(http, base_url.clone()).named("hikcentral");
        let backoff = Backoff {
            max_attempts: settings.max_attempts.max(1),
            base: settings.backoff_base,
            max: settings.backoff_max,
        };
        let pause_target = pacer.clone();
        let policy = RetryPolicy::new("hikcentral", backoff, Arc::new(ArtemisClassifier))
            .on_retry_after(Arc::new(move |d| {
                pause_target.pause_until(tokio::time::Instant::now() + d)
            }));
        let signer = SignerConfig {
            app_key: settings.app_key.clone(),
            app_secret: settings.app_secret.clone(),
            accept: settings.accept.clone(),
            content_type: settings.content_type.clone(),
            send_content_md5: settings.send_content_md5,
        };
        let once = ServiceBuilder::new()
            .layer(PaceLayer::new(pacer.clone()))
            .layer(SignLayer::new(signer.clone()))
            .layer(tower::timeout::TimeoutLayer::new(settings.timeout))
            .service(transport.clone());
        let stack = ServiceBuilder::new()
            .layer(tower::retry::RetryLayer::new(policy))
            .layer(PaceLayer::new(pacer.clone()))
            .layer(SignLayer::new(signer))
            .layer(tower::timeout::TimeoutLayer::new(settings.timeout))
            .service(transport);
        Ok(Self {
            svc: BoxCloneSyncService::new(stack),
            once: BoxCloneSyncService::new(once),
            health: Arc::new(UpstreamHealth::default()),
            pacer,
            tls,
            base_url,
        })
    }

    pub fn health(&self) -> &Arc<UpstreamHealth> {
        &self.health
    }

    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    pub fn tls_mode(&self) -> &TlsMode {
        &self.tls
    }

    /// `api/...`, `/api/...` and `/artemis/api/...` all mean `/artemis/api/...`.
    pub fn normalise_path(path: &str) -> String {
        let p = path.trim().trim_start_matches('/');
        if p.starts_with("artemis/") {
            format!("/{p}")
        } else {
            format!("/artemis/{p}")
        }
    }

    /// POST `body` (serialised once) and return the whole answer, whatever it is.
    pub async fn call_raw(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<UpstreamResponse, ArtemisError> {
        self.raw(&self.svc, path, body).await
    }

    /// [`call_raw`](Self::call_raw) with exactly one attempt: never retried, whatever happens
    /// (a timeout leaves the outcome unknown; the caller decides).
    pub async fn call_raw_once(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<UpstreamResponse, ArtemisError> {
        self.raw(&self.once, path, body).await
    }

    async fn raw(
        &self,
        svc: &BoxCloneSyncService<UpstreamRequest, UpstreamResponse, BoxError>,
        path: &str,
        body: &Value,
    ) -> Result<UpstreamResponse, ArtemisError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ArtemisError::Decode(e.to_string()))?;
        let req = UpstreamRequest::new(
            http::Method::POST,
            Self::normalise_path(path),
            Bytes::from(bytes),
        );
        let result = svc.clone().oneshot(req).await.map_err(map_stack_error);
        if let Err(e) = &result {
            self.health.record_error(&e.to_string());
        }
        result
    }

    /// POST and read the envelope: `Ok(data)` for code `"0"`, the typed code otherwise.
    pub async fn call(&self, path: &str, body: &Value) -> Result<Value, ArtemisError> {
        let resp = self.call_raw(path, body).await?;
        let result =
            envelope_of(&resp).and_then(|env| match ArtemisCode::from_code(&env.code, &env.msg) {
                None => Ok(env.data),
                Some(code) => Err(ArtemisError::Api(code)),
            });
        match &result {
            Ok(_) => self.health.record_ok(),
            Err(e) if e.upstream_answered() => self.health.record_ok(),
            Err(e) => self.health.record_error(&e.to_string()),
        }
        result
    }

    /// [`call`](Self::call) and deserialise `data`.
    pub async fn call_data<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ArtemisError> {
        let data = self.call(path, body).await?;
        serde_json::from_value(data).map_err(|e| ArtemisError::Decode(e.to_string()))
    }

    /// `common/v1/version`: a cheap check of reachability, TLS and signature.
    pub async fn version(&self) -> Result<VersionInfo, ArtemisError> {
        self.call_data("/artemis/api/common/v1/version", &serde_json::json!({}))
            .await
    }
}

/// The envelope of an answer; non-2xx answers become `Http` errors that say why.
pub fn envelope_of(resp: &UpstreamResponse) -> Result<Envelope, ArtemisError> {
    let parsed = serde_json::from_slice::<Envelope>(&resp.body);
    if resp.status.is_success() {
        return parsed.map_err(|e| {
            ArtemisError::Decode(format!("{e}; the answer began: {}", resp.body_snippet()))
        });
    }
    let message = resp
        .header("x-ca-error-message")
        .map(str::to_string)
        .or_else(|| {
            parsed
                .ok()
                .map(|env| format!("code {}: {}", env.code, env.msg))
        })
        .unwrap_or_else(|| resp.body_snippet());
    let hint = match resp.status.as_u16() {
        401 => " (check hikcentral.app_key and the AppSecret)",
        404 => " (unknown API, or the partner has no privilege for it)",
        _ => "",
    };
    Err(ArtemisError::Http {
        status: resp.status.as_u16(),
        message: format!("{message}{hint}"),
    })
}

fn map_stack_error(e: BoxError) -> ArtemisError {
    if let Some(t) = e.downcast_ref::<TransportError>() {
        return match t {
            TransportError::Exhausted { attempts, last } => ArtemisError::GaveUp {
                attempts: *attempts,
                last: last.clone(),
            },
            other => ArtemisError::Transport(other.to_string()),
        };
    }
    if e.is::<tower::timeout::error::Elapsed>() {
        return ArtemisError::Transport("no answer before hikcentral.timeout_ms".into());
    }
    ArtemisError::Transport(error_chain(e.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_under_artemis() {
        for p in [
            "api/common/v1/version",
            "/api/common/v1/version",
            "/artemis/api/common/v1/version",
        ] {
            assert_eq!(
                ArtemisClient::normalise_path(p),
                "/artemis/api/common/v1/version"
            );
        }
    }

    #[test]
    fn non_success_http_answers_keep_the_gateway_message() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ca-error-message", "Invalid AppKey".parse().unwrap());
        let resp = UpstreamResponse {
            status: http::StatusCode::UNAUTHORIZED,
            headers,
            body: Bytes::new(),
        };
        let err = envelope_of(&resp).unwrap_err();
        assert!(
            err.to_string().contains("HTTP 401: Invalid AppKey (check"),
            "{err}"
        );
    }

    #[test]
    fn throttled_envelopes_are_retried_and_not_found_is_not() {
        let ok = |body: &'static str| -> Result<UpstreamResponse, BoxError> {
            Ok(UpstreamResponse {
                status: http::StatusCode::OK,
                headers: http::HeaderMap::new(),
                body: Bytes::from_static(body.as_bytes()),
            })
        };
        let c = ArtemisClassifier;
        assert!(matches!(
            c.classify(&ok(r#"{"code":"0x02401009","msg":"too many"}"#)),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            c.classify(&ok(r#"{"code":"6","msg":"busy"}"#)),
            Verdict::Retry { .. }
        ));
        assert_eq!(
            c.classify(&ok(r#"{"code":"128","msg":"no"}"#)),
            Verdict::Done
        );
        assert_eq!(c.classify(&ok("\u{FF}\u{D8}jpeg")), Verdict::Done);
    }
}
