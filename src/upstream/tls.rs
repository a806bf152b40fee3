//! TLS for upstream clients: verification on by default, an optional CA bundle, an optional
//! SHA-256 certificate pin, and an explicit `insecure` switch.

use crate::config::TlsSettings;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How the server certificate is checked; chosen from [`TlsSettings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Public roots (and the CA bundle, when given), hostname checked.
    Verify { ca_pem: Option<Vec<u8>> },
    /// Only the certificate whose DER hashes to this SHA-256 is accepted (hostname and chain not
    /// checked: a pin is stronger than both). Handshake signatures are still verified.
    Pinned([u8; 32]),
    /// Anything is accepted. Labs only.
    Insecure,
}

impl TlsMode {
    pub fn from_settings(tls: &TlsSettings) -> anyhow::Result<Self> {
        if tls.insecure {
            return Ok(Self::Insecure);
        }
        if let Some(pin) = tls.pin_sha256 {
            return Ok(Self::Pinned(pin));
        }
        let ca = tls.ca_file.trim();
        if ca.is_empty() {
            return Ok(Self::Verify { ca_pem: None });
        }
        let pem = std::fs::read(ca)
            .map_err(|e| anyhow::anyhow!("cannot read hikcentral.tls.ca_file {ca:?}: {e}"))?;
        Ok(Self::Verify { ca_pem: Some(pem) })
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Verify { ca_pem: None } => "verified against public roots",
            Self::Verify { ca_pem: Some(_) } => "verified against the configured CA bundle",
            Self::Pinned(_) => "pinned certificate (SHA-256)",
            Self::Insecure => "NOT VERIFIED (insecure)",
        }
    }
}

/// Apply a [`TlsMode`] to a reqwest builder.
pub fn apply(
    builder: reqwest::ClientBuilder,
    mode: &TlsMode,
) -> anyhow::Result<reqwest::ClientBuilder> {
    Ok(match mode {
        TlsMode::Verify { ca_pem: None } => builder,
        TlsMode::Verify { ca_pem: Some(pem) } => {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| anyhow::anyhow!("the CA bundle is not valid PEM: {e}"))?;
            if certs.is_empty() {
                anyhow::bail!("the CA bundle holds no certificate");
            }
            certs
                .into_iter()
                .fold(builder, |b, c| b.add_root_certificate(c))
        }
        TlsMode::Pinned(pin) => {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = Arc::new(PinVerifier {
                pin: *pin,
                provider: provider.clone(),
            });
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            builder.use_preconfigured_tls(config)
        }
        TlsMode::Insecure => builder.danger_accept_invalid_certs(true),
    })
}

/// SHA-256 of a DER certificate, hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

#[derive(Debug)]
struct PinVerifier {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate pin mismatch: the server presented SHA-256 {}",
                hex::encode(got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
