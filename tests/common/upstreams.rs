//! Simulators on real sockets and settings that point the clients at them.

use hikbridge::config::{HikCentralSettings, Settings};
use hikbridge::sim::hikcentral::{HikSim, HikSimConfig};
use hikbridge::sim::{RunningSim, SimTls};

pub const APP_KEY: &str = "26744628";
pub const APP_SECRET: &str = "Zq8n2kQpX3vL9mTz";

/// A HikCentral simulator with the test credentials, plain HTTP or TLS.
pub async fn hikcentral(tls: Option<SimTls>) -> (HikSim, RunningSim) {
    let sim = HikSim::new(HikSimConfig {
        app_key: APP_KEY.into(),
        app_secret: APP_SECRET.into(),
        ..HikSimConfig::default()
    });
    let running = sim
        .start("127.0.0.1:0".parse().unwrap(), tls)
        .await
        .expect("start the HikCentral simulator");
    (sim, running)
}

/// Settings pointing at `base_url` with the test credentials, plus `extra` overrides.
pub fn settings_for(base_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env = vec![
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", base_url),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", APP_KEY),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", APP_SECRET),
        ("HIKBRIDGE__HIKCENTRAL__BACKOFF_BASE_MS", "10"),
        ("HIKBRIDGE__HIKCENTRAL__BACKOFF_MAX_MS", "50"),
        ("HIKBRIDGE__HIKCENTRAL__REQUESTS_PER_SECOND", "1000"),
    ];
    env.extend_from_slice(extra);
    Settings::defaults_with_env(&env).unwrap_or_else(|e| panic!("test settings: {e}"))
}

pub fn hik_settings(base_url: &str, extra: &[(&str, &str)]) -> HikCentralSettings {
    settings_for(base_url, extra).hikcentral
}

/// A test CA and a `localhost` certificate it signed.
pub struct TestPki {
    pub ca_pem: String,
    pub leaf: SimTls,
    pub leaf_der: Vec<u8>,
}

pub fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "hikbridge test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        leaf: SimTls {
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        },
        leaf_der: leaf.der().to_vec(),
    }
}
