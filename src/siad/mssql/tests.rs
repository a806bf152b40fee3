//! SQL Server cannot run here: these tests cover everything up to the wire — URL parsing, the
//! connection plan and tiberius configuration, the binding plan of each query, cell and row
//! mapping, error wording — and the failure paths against local sockets.

use super::*;
use crate::secret::Secret;
use crate::siad::Directory;
use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;
use tiberius::ColumnData;

const PASSWORD: &str = "Zq8n2kQpX3vL9mTz";

fn settings(url: &str) -> SiadSettings {
    SiadSettings {
        url: url.to_owned(),
        user: "hik_reader".to_owned(),
        password: Secret::new(PASSWORD),
        password_file: String::new(),
        trust_server_certificate: false,
        ca_file: String::new(),
        pool_size: 2,
        reconcile_interval: Duration::ZERO,
        connect_timeout: Duration::from_millis(5000),
        query_timeout: Duration::from_millis(15000),
        query_person_by_ci: "SELECT * FROM p WHERE CIInfPer = @P1".to_owned(),
        query_students_by_program_period:
            "SELECT * FROM p WHERE carrera = @P1 AND (@P2 = '' OR idper = @P2)".to_owned(),
        query_staff_by_type: "SELECT * FROM p WHERE TipoInfPer = @P1".to_owned(),
        query_photo_by_ci: "SELECT Fotografia FROM f WHERE CIInfPer = @P1".to_owned(),
        roster_query_timeout: Duration::from_millis(120_000),
        query_active_students: "SELECT * FROM p WHERE EXISTS (SELECT 1 FROM m WHERE idper = @P1)"
            .to_owned(),
        query_active_staff: "SELECT * FROM p WHERE EXISTS (SELECT 1 FROM c)".to_owned(),
        query_current_periods: "SELECT idper FROM periodos".to_owned(),
        query_photo_versions: "SELECT CIInfPer, HASHBYTES('SHA2_256', Fotografia) FROM f"
            .to_owned(),
    }
}

fn target(host: &str, port: u16, database: &str) -> MssqlTarget {
    MssqlTarget {
        host: host.to_owned(),
        port,
        database: database.to_owned(),
    }
}

// ---- URL ------------------------------------------------------------------------------------

#[test]
fn url_with_port_and_database() {
    assert_eq!(
        parse_url("mssql://sql.example.edu:1444/SIAD").unwrap(),
        target("sql.example.edu", 1444, "SIAD")
    );
}

#[test]
fn url_port_defaults_to_1433_and_sqlserver_scheme_works() {
    assert_eq!(
        parse_url("sqlserver://10.0.0.5/SIAD_PROD").unwrap(),
        target("10.0.0.5", 1433, "SIAD_PROD")
    );
    assert_eq!(
        parse_url(" mssql://[::1]:1433/SIAD/ ").unwrap(),
        target("::1", 1433, "SIAD")
    );
    assert_eq!(
        parse_url("mssql://db/SIAD%20Prod").unwrap().database,
        "SIAD Prod"
    );
}

#[test]
fn url_without_database_or_host_is_refused() {
    for url in [
        "mssql://sql.example.edu:1433",
        "mssql://sql.example.edu/",
        "mssql:///SIAD",
        "mssql://h/a/b",
    ] {
        let err = parse_url(url).unwrap_err();
        assert!(matches!(err, SiadError::Settings(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("mssql://"), "{url}: {err}");
    }
}

#[test]
fn url_with_credentials_or_options_is_refused_without_echoing_them() {
    let err = parse_url(&format!("mssql://sa:{PASSWORD}@db/SIAD")).unwrap_err();
    assert!(
        err.to_string().contains("HIKBRIDGE__SIAD__PASSWORD"),
        "{err}"
    );
    assert!(!err.to_string().contains(PASSWORD));
    assert!(parse_url("mssql://db/SIAD?encrypt=false").is_err());
    assert!(parse_url("postgres://db/SIAD").is_err());
}

// ---- connection plan and tiberius configuration ---------------------------------------------

#[test]
fn certificate_is_validated_against_system_roots_by_default() {
    let plan = ConnectPlan::from_settings(&settings("mssql://db/SIAD")).unwrap();
    assert_eq!(plan.trust, Trust::SystemRoots);
    assert_eq!(plan.target, target("db", 1433, "SIAD"));
    assert_eq!(plan.pool_size, 2);
    let config = format!("{:?}", plan.tiberius_config(&Secret::new(PASSWORD)));
    assert!(config.contains("encryption: Required"), "{config}");
    assert!(config.contains("trust: Default"), "{config}");
    assert!(config.contains("hik_reader"), "{config}");
    assert!(!config.contains(PASSWORD), "{config}");
}

#[test]
fn trust_server_certificate_skips_validation_but_keeps_encryption() {
    let mut s = settings("mssql://db/SIAD");
    s.trust_server_certificate = true;
    let plan = ConnectPlan::from_settings(&s).unwrap();
    assert_eq!(plan.trust, Trust::AnyCertificate);
    let config = format!("{:?}", plan.tiberius_config(&Secret::new(PASSWORD)));
    assert!(config.contains("encryption: Required"), "{config}");
    assert!(config.contains("TrustAll"), "{config}");
}

#[test]
fn ca_file_validates_against_that_ca() {
    let mut s = settings("mssql://db/SIAD");
    s.ca_file = "/etc/siad/ca.pem".to_owned();
    let plan = ConnectPlan::from_settings(&s).unwrap();
    assert_eq!(plan.trust, Trust::CaFile(PathBuf::from("/etc/siad/ca.pem")));
    let config = format!("{:?}", plan.tiberius_config(&Secret::new(PASSWORD)));
    assert!(config.contains("CaCertificateLocation"), "{config}");
    assert!(config.contains("encryption: Required"), "{config}");
}

#[test]
fn conflicting_or_missing_settings_are_refused() {
    let mut s = settings("mssql://db/SIAD");
    s.trust_server_certificate = true;
    s.ca_file = "ca.pem".to_owned();
    assert!(matches!(
        ConnectPlan::from_settings(&s),
        Err(SiadError::Settings(_))
    ));

    let mut s = settings("mssql://db/SIAD");
    s.user = " ".to_owned();
    let err = ConnectPlan::from_settings(&s).unwrap_err();
    assert!(err.to_string().contains("siad.user"), "{err}");

    let mut s = settings("mssql://db/SIAD");
    s.password = Secret::default();
    let err = ConnectPlan::from_settings(&s).unwrap_err();
    assert!(
        err.to_string().contains("HIKBRIDGE__SIAD__PASSWORD"),
        "{err}"
    );

    let mut s = settings("mssql://db/SIAD");
    s.query_timeout = Duration::ZERO;
    let err = ConnectPlan::from_settings(&s).unwrap_err();
    assert!(err.to_string().contains("siad.query_timeout_ms"), "{err}");
}

#[test]
fn ca_file_is_checked_like_the_driver_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let one = dir.path().join("ca.pem");
    std::fs::write(&one, pem).unwrap();
    assert!(check_ca_file(&one).is_ok());

    let two = dir.path().join("bundle.crt");
    std::fs::write(&two, format!("{pem}{pem}")).unwrap();
    let err = check_ca_file(&two).unwrap_err();
    assert!(err.to_string().contains("exactly one"), "{err}");

    let txt = dir.path().join("ca.txt");
    std::fs::write(&txt, pem).unwrap();
    assert!(check_ca_file(&txt)
        .unwrap_err()
        .to_string()
        .contains(".pem"));

    let missing = dir.path().join("missing.pem");
    let err = check_ca_file(&missing).unwrap_err();
    assert!(err.to_string().contains("cannot be read"), "{err}");
}

#[test]
fn debug_and_describe_never_show_the_password() {
    let directory = MssqlDirectory::new(&settings("mssql://db.example.edu/SIAD")).unwrap();
    assert_eq!(
        directory.describe(),
        "mssql db.example.edu:1433/SIAD (user hik_reader)"
    );
    let debug = format!("{directory:?}");
    assert!(debug.contains("db.example.edu"), "{debug}");
    assert!(!debug.contains(PASSWORD), "{debug}");
}

// ---- binding plans ---------------------------------------------------------------------------

#[test]
fn each_query_binds_its_arguments_in_order() {
    let s = settings("mssql://db/SIAD");
    let cases = [
        (
            SiadQuery::PersonByCi {
                ci: "0912345675".into(),
            },
            "siad.query_person_by_ci",
            vec!["0912345675"],
        ),
        (
            SiadQuery::Students {
                program: "SOFTWARE".into(),
                period: Some("2026-1".into()),
            },
            "siad.query_students_by_program_period",
            vec!["SOFTWARE", "2026-1"],
        ),
        (
            SiadQuery::Students {
                program: "SOFTWARE".into(),
                period: None,
            },
            "siad.query_students_by_program_period",
            vec!["SOFTWARE", ""],
        ),
        (
            SiadQuery::Staff {
                person_type: "D".into(),
            },
            "siad.query_staff_by_type",
            vec!["D"],
        ),
        (
            SiadQuery::PhotoByCi {
                ci: "0912345675".into(),
            },
            "siad.query_photo_by_ci",
            vec!["0912345675"],
        ),
    ];
    for (query, key, expected) in cases {
        assert_eq!(query.setting_key(), key);
        assert_eq!(query.params(), expected, "{query:?}");
        let statement = query.statement(query.sql(&s));
        assert_eq!(
            statement.sql,
            query.sql(&s),
            "the SQL is used as configured"
        );
        // What tiberius will send: the configured SQL untouched, the values as parameters.
        let built = format!("{:?}", statement.to_query());
        let rendered: Vec<String> = expected
            .iter()
            .map(|v| format!("String(Some({v:?}))"))
            .collect();
        assert!(
            built.contains(&format!("params: [{}]", rendered.join(", "))),
            "{built}"
        );
    }
}

#[test]
fn roster_queries_bind_the_period_or_nothing_and_get_the_roster_timeout() {
    let s = settings("mssql://db/SIAD");
    let cases = [
        (
            SiadQuery::ActiveStudents {
                period: "2026-2".into(),
            },
            "siad.query_active_students",
            vec!["2026-2"],
        ),
        (SiadQuery::ActiveStaff, "siad.query_active_staff", vec![]),
        (
            SiadQuery::CurrentPeriods,
            "siad.query_current_periods",
            vec![],
        ),
        (
            SiadQuery::PhotoVersions,
            "siad.query_photo_versions",
            vec![],
        ),
    ];
    for (query, key, expected) in cases {
        assert_eq!(query.setting_key(), key);
        assert!(query.is_roster(), "{query:?}");
        assert_eq!(query.params(), expected, "{query:?}");
        let statement = query.statement(query.sql(&s));
        assert_eq!(
            statement.sql,
            query.sql(&s),
            "the SQL is used as configured"
        );
        let built = format!("{:?}", statement.to_query());
        let rendered: Vec<String> = expected
            .iter()
            .map(|v| format!("String(Some({v:?}))"))
            .collect();
        assert!(
            built.contains(&format!("params: [{}]", rendered.join(", "))),
            "{built}"
        );
    }
    // A hostile period id stays a parameter.
    let period = "2026-2'; DELETE FROM matriculas; --";
    let query = SiadQuery::ActiveStudents {
        period: period.into(),
    };
    let statement = query.statement(query.sql(&s));
    assert_eq!(statement.sql, s.query_active_students);
    assert_eq!(statement.params, vec![period.to_owned()]);

    // The per-request queries keep siad.query_timeout_ms; the directory gives the roster ones
    // siad.roster_query_timeout_ms.
    assert!(!SiadQuery::Staff {
        person_type: "D".into()
    }
    .is_roster());
    let mut statement = SiadQuery::ActiveStaff.statement("SELECT 1");
    let per_request = Duration::from_millis(15_000);
    assert_eq!(
        statement.time_limit(per_request),
        (per_request, "siad.query_timeout_ms")
    );
    statement.timeout = Some(Duration::from_millis(120_000));
    assert_eq!(
        statement.time_limit(per_request),
        (
            Duration::from_millis(120_000),
            "siad.roster_query_timeout_ms"
        )
    );
}

#[tokio::test]
async fn empty_roster_settings_are_refused_or_optional_without_connecting() {
    // A closed port: any attempt to connect would be Unreachable, not what is asserted below.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut s = settings(&format!("mssql://127.0.0.1:{port}/SIAD"));
    s.query_current_periods = " ".to_owned();
    s.query_photo_versions = String::new();
    s.query_active_staff = String::new();
    let directory = MssqlDirectory::new(&s).unwrap();

    let err = directory.current_periods().await.unwrap_err();
    assert!(matches!(err, SiadError::Settings(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("set lifecycle.current_periods or siad.query_current_periods"),
        "{err}"
    );
    assert_eq!(directory.photo_versions().await.unwrap(), None);
    let err = directory.active_staff().await.unwrap_err();
    assert!(matches!(err, SiadError::Settings(_)), "{err:?}");
    assert!(err.to_string().contains("siad.query_active_staff"), "{err}");

    // With the settings present, the same calls do go to SQL Server (and find it closed).
    let directory =
        MssqlDirectory::new(&settings(&format!("mssql://127.0.0.1:{port}/SIAD"))).unwrap();
    for err in [
        directory.current_periods().await.unwrap_err(),
        directory.photo_versions().await.unwrap_err(),
        directory.active_staff().await.unwrap_err(),
        directory.active_students("2026-2").await.unwrap_err(),
    ] {
        assert!(matches!(err, SiadError::Unreachable(_)), "{err:?}");
    }
}

#[test]
fn hostile_arguments_stay_parameters() {
    let ci = "0912345675' OR '1'='1";
    let query = SiadQuery::PersonByCi { ci: ci.into() };
    let s = settings("mssql://db/SIAD");
    let statement = query.statement(query.sql(&s));
    assert_eq!(statement.sql, s.query_person_by_ci);
    assert_eq!(statement.params, vec![ci.to_owned()]);
}

// ---- cells and rows --------------------------------------------------------------------------

fn text(s: &str) -> ColumnData<'static> {
    ColumnData::String(Some(Cow::Owned(s.to_owned())))
}

#[test]
fn cells_read_as_text() {
    assert_eq!(
        text_from_cell(&text("0912345675  ")).unwrap().as_deref(),
        Some("0912345675  ")
    );
    assert_eq!(text_from_cell(&ColumnData::String(None)).unwrap(), None);
    assert_eq!(
        text_from_cell(&ColumnData::I64(Some(1712345675))).unwrap(),
        Some("1712345675".to_owned())
    );
    let err = text_from_cell(&ColumnData::Binary(Some(Cow::Owned(vec![1])))).unwrap_err();
    assert!(err.contains("binary"), "{err}");
}

#[test]
fn cells_read_as_photo_bytes() {
    let jpeg = vec![0xFF, 0xD8, 0xFF];
    assert_eq!(
        bytes_from_cell(&ColumnData::Binary(Some(Cow::Owned(jpeg.clone())))).unwrap(),
        Some(jpeg)
    );
    assert_eq!(bytes_from_cell(&ColumnData::Binary(None)).unwrap(), None);
    assert_eq!(
        bytes_from_cell(&ColumnData::Binary(Some(Cow::Owned(Vec::new())))).unwrap(),
        None
    );
    assert!(bytes_from_cell(&text("/9j/4AAQ")).is_err());
}

#[test]
fn padded_char_row_maps_with_case_insensitive_names() {
    let values = [
        text("0912345675 "),
        text("Juan Alberto  "),
        text("Perez   "),
        text("Garcia  "),
        ColumnData::String(None),
        text("D "),
    ];
    let names = [
        "ciinfper",
        "NOMBINFPER",
        "ApellInfPer",
        "ApellMatInfPer",
        "mailInst",
        "TipoInfPer",
    ];
    let cells: Vec<(&str, &ColumnData<'static>)> = names.iter().copied().zip(&values).collect();
    let p = person_from_cells(&cells).unwrap();
    assert_eq!(p.ci, "0912345675");
    assert_eq!(p.full_name(), "Juan Alberto Perez Garcia");
    assert_eq!(p.email, None);
    assert_eq!(p.person_type, "D");

    let err = person_from_cells(&cells[..5]).unwrap_err();
    assert!(matches!(err, SiadError::Mapping(_)));
    assert!(err.to_string().contains("TipoInfPer"), "{err}");
}

#[test]
fn photo_column_by_name_or_the_only_column() {
    let jpeg = ColumnData::Binary(Some(Cow::Owned(vec![0xFF, 0xD8])));
    let ci = text("1");
    assert!(
        photo_from_cells(&[("CIInfPer", &ci), ("fotografia", &jpeg)])
            .unwrap()
            .is_some()
    );
    assert!(photo_from_cells(&[("foto", &jpeg)]).unwrap().is_some());
    let err = photo_from_cells(&[("CIInfPer", &ci), ("foto", &jpeg)]).unwrap_err();
    assert!(err.to_string().contains("Fotografia"), "{err}");
}

#[test]
fn period_rows_are_their_first_column_as_trimmed_text() {
    let id = text("2026-2   ");
    assert_eq!(
        roster::period_from_cells(&[("idper", &id)])
            .unwrap()
            .as_deref(),
        Some("2026-2")
    );
    let number = ColumnData::I32(Some(20262));
    let other = text("ignored");
    assert_eq!(
        roster::period_from_cells(&[("periodo", &number), ("nombre", &other)])
            .unwrap()
            .as_deref(),
        Some("20262")
    );
    let blank = text("  ");
    assert_eq!(
        roster::period_from_cells(&[("idper", &blank)]).unwrap(),
        None
    );
    assert_eq!(
        roster::period_from_cells(&[("idper", &ColumnData::String(None))]).unwrap(),
        None
    );
    let err = roster::period_from_cells(&[]).unwrap_err();
    assert!(matches!(err, SiadError::Mapping(_)));
    let binary = ColumnData::Binary(Some(Cow::Owned(vec![1, 2])));
    let err = roster::period_from_cells(&[("idper", &binary)]).unwrap_err();
    assert!(
        err.to_string().contains("siad.query_current_periods"),
        "{err}"
    );
}

#[test]
fn photo_versions_are_read_whatever_their_sql_type() {
    use tiberius::time::{Date, DateTime, DateTime2, DateTimeOffset, SmallDateTime, Time};
    let hash = ColumnData::Binary(Some(Cow::Owned(vec![0xAB, 0x01, 0xFF])));
    assert_eq!(version_text(&hash).unwrap().as_deref(), Some("ab01ff"));
    assert_eq!(
        version_text(&text("9F86D08188")).unwrap().as_deref(),
        Some("9F86D08188")
    );
    assert_eq!(
        version_text(&ColumnData::I64(Some(42))).unwrap().as_deref(),
        Some("42")
    );
    assert_eq!(
        version_text(&ColumnData::F64(Some(1.5)))
            .unwrap()
            .as_deref(),
        Some("1.5")
    );
    // Day 46 000 after 1900-01-01 is 2025-12-11; 12:00 is 300 × 43 200 fragments.
    let datetime = ColumnData::DateTime(Some(DateTime::new(46_000, 300 * 43_200)));
    assert_eq!(
        version_text(&datetime).unwrap().as_deref(),
        Some("2025-12-11T12:00:00")
    );
    let small = ColumnData::SmallDateTime(Some(SmallDateTime::new(46_000, 61)));
    assert_eq!(
        version_text(&small).unwrap().as_deref(),
        Some("2025-12-11T01:01:00")
    );
    // DATETIME2(7): days since 0001-01-01, 100 ns increments.
    let days = 739_955; // 2026-12-06
    let dt2 = DateTime2::new(Date::new(days), Time::new(10_000_000 * 3_600 + 5, 7));
    assert_eq!(
        version_text(&ColumnData::DateTime2(Some(dt2)))
            .unwrap()
            .as_deref(),
        Some("2026-12-06T01:00:00.000000500")
    );
    let offset = ColumnData::DateTimeOffset(Some(DateTimeOffset::new(dt2, -300)));
    assert_eq!(
        version_text(&offset).unwrap().as_deref(),
        Some("2026-12-06T01:00:00.000000500Z")
    );
    assert_eq!(
        version_text(&ColumnData::Date(Some(Date::new(days))))
            .unwrap()
            .as_deref(),
        Some("2026-12-06")
    );
    // Out of range is still a stable text, never a panic.
    let huge = ColumnData::DateTime(Some(DateTime::new(i32::MAX, u32::MAX)));
    assert!(version_text(&huge)
        .unwrap()
        .unwrap()
        .starts_with("datetime "));
    let bad_time = ColumnData::Time(Some(Time::new(u64::MAX, 7)));
    assert!(version_text(&bad_time)
        .unwrap()
        .unwrap()
        .starts_with("time "));
    assert_eq!(version_text(&ColumnData::Binary(None)).unwrap(), None);
    let xml = ColumnData::Xml(None);
    assert!(version_text(&xml).unwrap_err().contains("xml"));
}

#[test]
fn photo_version_rows_name_the_ci_and_the_version() {
    let ci = text("0912345675 ");
    let hash = ColumnData::Binary(Some(Cow::Owned(vec![0x0A, 0xBC])));
    // The CI by name, wherever it is; the version is the other column, whatever its name.
    assert_eq!(
        roster::version_from_cells(&[("", &hash), ("ciinfper", &ci)]).unwrap(),
        Some(("0912345675".to_owned(), "0abc".to_owned()))
    );
    // Without a CIInfPer column: the first column is the CI.
    assert_eq!(
        roster::version_from_cells(&[("cedula", &ci), ("v", &hash)]).unwrap(),
        Some(("0912345675".to_owned(), "0abc".to_owned()))
    );
    // A NULL photo hashes to NULL: no version, no error.
    let null = ColumnData::Binary(None);
    assert_eq!(
        roster::version_from_cells(&[("CIInfPer", &ci), ("v", &null)]).unwrap(),
        None
    );
    let err = roster::version_from_cells(&[("CIInfPer", &ci)]).unwrap_err();
    assert!(matches!(err, SiadError::Mapping(_)));
    assert!(err.to_string().contains("two columns"), "{err}");
    let xml = ColumnData::Xml(None);
    let err = roster::version_from_cells(&[("CIInfPer", &ci), ("v", &xml)]).unwrap_err();
    assert!(
        err.to_string().contains("siad.query_photo_versions"),
        "{err}"
    );
}

// ---- errors and failure paths ----------------------------------------------------------------

#[test]
fn tls_failures_say_how_to_fix_them() {
    let plan = ConnectPlan::from_settings(&settings("mssql://db.example.edu/SIAD")).unwrap();
    let err = pool::connect_error(
        tiberius::error::Error::Tls("invalid peer certificate: UnknownIssuer".into()),
        &plan,
    );
    assert!(matches!(err, SiadError::Unreachable(_)));
    let text = err.to_string();
    assert!(
        text.contains("siad.ca_file") && text.contains("db.example.edu"),
        "{text}"
    );
}

#[test]
fn broken_connections_and_decoding_are_told_apart() {
    let io = tiberius::error::Error::Io {
        kind: std::io::ErrorKind::ConnectionReset,
        message: "reset".into(),
    };
    assert!(matches!(
        pool::classify_query_error(io, "siad.query_staff_by_type"),
        pool::Failure::Connection(_)
    ));
    let conversion = tiberius::error::Error::Conversion("bad".into());
    assert!(matches!(
        pool::classify_query_error(conversion, "k").into_error(),
        SiadError::Mapping(_)
    ));
}

#[tokio::test]
async fn a_closed_port_is_unreachable_with_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let directory =
        MssqlDirectory::new(&settings(&format!("mssql://127.0.0.1:{port}/SIAD"))).unwrap();
    let err = directory.ping().await.unwrap_err();
    assert!(matches!(err, SiadError::Unreachable(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains(PASSWORD));
}

/// A server that accepts TCP but never answers the TDS pre-login; its port and its task.
async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (port, held)
}

#[tokio::test]
async fn a_silent_server_hits_the_connect_timeout() {
    let (port, held) = silent_server().await;
    let mut s = settings(&format!("mssql://127.0.0.1:{port}/SIAD"));
    s.connect_timeout = Duration::from_millis(200);
    let directory = MssqlDirectory::new(&s).unwrap();
    let started = std::time::Instant::now();
    let err = directory.person_by_ci("0912345675").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, SiadError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("siad.connect_timeout_ms"), "{err}");
    held.abort();
}

#[tokio::test(start_paused = true)]
async fn a_query_waits_for_a_free_connection_at_most_the_query_timeout() {
    // The only connection stays busy connecting.
    let (port, held) = silent_server().await;
    let mut s = settings(&format!("mssql://127.0.0.1:{port}/SIAD"));
    s.pool_size = 1;
    s.connect_timeout = Duration::from_secs(600);
    s.query_timeout = Duration::from_secs(2);
    let directory = std::sync::Arc::new(MssqlDirectory::new(&s).unwrap());
    let first = tokio::spawn({
        let directory = directory.clone();
        async move { directory.ping().await }
    });
    // On paused time this returns once every task waits, the first one holding the connection.
    tokio::time::sleep(Duration::from_millis(10)).await;

    let err = directory.person_by_ci("0912345675").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SiadError::Unreachable(_)), "{err:?}");
    assert!(
        text.contains("all 1 SIAD connections stayed busy for 2000 ms"),
        "{text}"
    );
    assert!(!first.is_finished(), "the first query is still connecting");
    first.abort();
    held.abort();
}
