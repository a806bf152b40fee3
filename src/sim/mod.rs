//! Simulated upstreams (HikCentral, Humand) for tests, `demo` and benchmarks.
//!
//! They are faithful: they verify signatures and credentials exactly, enforce rate limits and
//! business rules, and can inject faults (latency, 5xx, dropped connections).

pub mod faults;
pub mod hikcentral;
pub mod humand;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::task::JoinHandle;

/// Lock a simulator's mutex; a panic elsewhere while holding it does not take the simulator
/// down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// TLS material for a simulator served over `https://` (PEM).
#[derive(Clone)]
pub struct SimTls {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A simulator listening on a real socket. Dropping it stops the server.
pub struct RunningSim {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub base_url: String,
    handle: JoinHandle<()>,
}

impl RunningSim {
    /// Stop accepting and close.
    pub fn stop(self) {
        self.handle.abort();
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Serve `router` on `addr` (port 0 picks a free port), plain or over TLS.
pub async fn serve(
    router: axum::Router,
    addr: SocketAddr,
    tls: Option<SimTls>,
) -> anyhow::Result<RunningSim> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(std_listener)?;
            let handle = tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, service).await {
                    tracing::error!(error = %e, "simulator stopped");
                }
            });
            Ok(RunningSim {
                addr,
                base_url: format!("http://{addr}"),
                handle,
            })
        }
        Some(tls) => {
            use rustls_pki_types::pem::PemObject;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let certs = rustls_pki_types::CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()?;
            let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())?;
            let mut config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(certs, key)?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            let rustls_config =
                axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
            let server = axum_server::from_tcp_rustls(std_listener, rustls_config);
            let handle = tokio::spawn(async move {
                if let Err(e) = server.serve(service).await {
                    tracing::error!(error = %e, "simulator stopped");
                }
            });
            Ok(RunningSim {
                addr,
                base_url: format!("https://localhost:{}", addr.port()),
                handle,
            })
        }
    }
}
