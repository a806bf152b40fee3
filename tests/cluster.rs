//! Several processes on one store: SQLite refuses a second `serve`; on PostgreSQL one replica
//! leads (runs the cluster-wide workers) and another takes over when it dies.

mod common;

use common::process::{Service, BIN};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn a_second_process_on_the_same_sqlite_file_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hb.db").display());
    let mut first = Service::start(dir.path(), &[("HIKBRIDGE__STORE__URL", url.as_str())]);
    first.wait_healthy().await;
    let second = Command::new(BIN)
        .current_dir(dir.path())
        .arg("serve")
        .env("HIKBRIDGE__STORE__URL", &url)
        .env("HIKBRIDGE__SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run a second serve");
    assert!(
        !second.status.success(),
        "the second process must not start"
    );
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another hikbridge process"), "{err}");
    assert!(err.contains("PostgreSQL"), "{err}");
    first.kill();
}

async fn role(svc: &Service) -> Option<String> {
    let r = reqwest::get(format!("{}/ready", svc.base())).await.ok()?;
    let v: Value = r.json().await.ok()?;
    v["cluster"]["role"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn on_postgres_one_replica_leads_and_another_takes_over_when_it_dies() {
    let Some(db) = common::db::postgres_db().await else {
        eprintln!(
            "postgres skipped: {} is not set",
            common::db::POSTGRES_URL_VAR
        );
        return;
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let env = [
        ("HIKBRIDGE__STORE__URL", db.url.as_str()),
        ("HIKBRIDGE__CLUSTER__LEASE_SECS", "2"),
    ];
    let mut a = Service::start(dirs[0].path(), &env);
    let mut b = Service::start(dirs[1].path(), &env);
    a.wait_healthy().await;
    b.wait_healthy().await;
    // Exactly one leader, the other a follower.
    let mut roles = (None, None);
    for _ in 0..100 {
        roles = (role(&a).await, role(&b).await);
        if matches!(
            (roles.0.as_deref(), roles.1.as_deref()),
            (Some("leader"), Some("follower")) | (Some("follower"), Some("leader"))
        ) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let a_leads = roles.0.as_deref() == Some("leader");
    assert!(
        a_leads || roles.1.as_deref() == Some("leader"),
        "one leader: {roles:?}"
    );
    assert_ne!(roles.0, roles.1, "never two leaders: {roles:?}");
    // Kill the leader: the survivor leads within a few lease periods.
    let (dead, survivor) = if a_leads { (&mut a, &b) } else { (&mut b, &a) };
    dead.kill();
    let mut took_over = false;
    for _ in 0..100 {
        if role(survivor).await.as_deref() == Some("leader") {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "the survivor takes the lease over");
    a.kill();
    b.kill();
    db.cleanup().await;
}
