//! The loading tests: defaults, environment, files, secrets, every problem reported at once.

use super::*;
use crate::secret::Secret;
use std::collections::HashMap;
use std::time::Duration;

#[test]
fn embedded_defaults_load_and_are_valid() {
    let s = Settings::defaults_with_env(&[]).expect("defaults are valid");
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.store.url, "sqlite://data/hikbridge.db");
    assert!(!s.hikcentral.is_configured());
    assert!(!s.humand.is_configured());
    assert_eq!(s.hikcentral.content_type, "application/json;charset=UTF-8");
    assert!(s.api.tokens.is_empty());
}

#[test]
fn environment_overrides_nested_keys_and_reads_secrets() {
    let s = Settings::defaults_with_env(&[
        ("HIKBRIDGE__SERVER__LISTEN", "0.0.0.0:9000"),
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "https://hik.example:443"),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", "26744628"),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "Zq8n2kQpX3vL9mTz"),
        ("HIKBRIDGE__HIKCENTRAL__TLS__INSECURE", "true"),
        ("HIKBRIDGE__HUMAND__API_KEY", "abc"),
        ("HIKBRIDGE__API__TOKENS", "t1, t2"),
    ])
    .expect("valid");
    assert_eq!(s.server.listen.port(), 9000);
    assert_eq!(s.hikcentral.app_key, "26744628");
    assert_eq!(s.hikcentral.app_secret.expose(), "Zq8n2kQpX3vL9mTz");
    assert!(s.hikcentral.tls.insecure);
    assert!(s.humand.is_configured());
    let tokens: Vec<&str> = s.api.tokens.iter().map(Secret::expose).collect();
    assert_eq!(tokens, ["t1", "t2"]);
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("Zq8n2kQpX3vL9mTz"),
        "Debug leaks the AppSecret"
    );
    assert!(!debug.contains("\"abc\""), "Debug leaks the Humand key");
}

#[test]
fn durations_are_read_in_the_unit_their_key_names() {
    let s = Settings::defaults_with_env(&[
        ("HIKBRIDGE__HUMAND__TIMEOUT_MS", "1500"),
        ("HIKBRIDGE__SERVER__REQUEST_TIMEOUT_SECS", "45"),
        ("HIKBRIDGE__EVENTS__POLL_LOOKBACK_HOURS", "2"),
        ("HIKBRIDGE__RETENTION__EVENTS_DAYS", "3"),
        ("HIKBRIDGE__DELIVERY__LEASE_SECS", "120"),
    ])
    .expect("valid");
    assert_eq!(s.humand.timeout, Duration::from_millis(1500));
    assert_eq!(s.server.request_timeout, Duration::from_secs(45));
    assert_eq!(s.events.poll_lookback, Duration::from_secs(2 * 3600));
    assert_eq!(s.retention.keep_events, Duration::from_secs(3 * 86_400));
    assert_eq!(s.delivery.lease, Duration::from_secs(120));

    // Two durations in different units compared after loading: 2 s is not longer than 2,000 ms.
    let err = Settings::defaults_with_env(&[
        ("HIKBRIDGE__HUMAND__TIMEOUT_MS", "2000"),
        ("HIKBRIDGE__DELIVERY__LEASE_SECS", "2"),
    ])
    .expect_err("a lease no longer than one request");
    assert!(err.to_string().contains("delivery.lease_secs = 2"), "{err}");
}

#[test]
fn out_of_window_events_are_kept_days_and_never_zero() {
    let s = Settings::defaults_with_env(&[]).expect("defaults");
    assert_eq!(
        s.retention.keep_out_of_window,
        Duration::from_secs(90 * 86_400)
    );
    let err = Settings::defaults_with_env(&[("HIKBRIDGE__RETENTION__OUT_OF_WINDOW_DAYS", "0")])
        .expect_err("0 would remove them before anyone saw them");
    assert!(
        err.to_string().contains("retention.out_of_window_days"),
        "{err}"
    );
}

#[test]
fn every_problem_names_key_value_and_example() {
    let err = Settings::defaults_with_env(&[
        ("HIKBRIDGE__SERVER__LISTEN", "localhost"),
        ("HIKBRIDGE__SERVER__REQUEST_TIMEOUT_SECS", "soon"),
        ("HIKBRIDGE__STORE__URL", "mysql://x"),
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "ftp://hik"),
    ])
    .expect_err("broken");
    let text = err.to_string();
    assert!(text.contains("server.listen = \"localhost\""), "{text}");
    assert!(text.contains("0.0.0.0:8080"), "{text}");
    assert!(
        text.contains("server.request_timeout_secs = \"soon\""),
        "{text}"
    );
    // Type errors are reported first; semantic checks need well-typed values.
    assert_eq!(err.problems.len(), 2, "{text}");

    let err = Settings::defaults_with_env(&[
        ("HIKBRIDGE__STORE__URL", "mysql://x"),
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "ftp://hik"),
        ("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", "abcd"),
    ])
    .expect_err("broken");
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    for k in [
        "store.url",
        "hikcentral.base_url",
        "hikcentral.app_key",
        "hikcentral.app_secret",
        "hikcentral.tls.pin_sha256",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert!(err.problems.iter().all(|p| !p.example.is_empty()));
}

#[test]
fn environment_strings_keep_leading_zeros_and_lists_split_on_commas() {
    let s = Settings::defaults_with_env(&[
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", "0026744628"),
        (
            "HIKBRIDGE__SERVER__CORS_ALLOWED_ORIGINS",
            "https://a.example.edu, https://b.example.edu",
        ),
    ])
    .expect("valid");
    assert_eq!(s.hikcentral.app_key, "0026744628");
    assert_eq!(
        s.server.cors_allowed_origins,
        ["https://a.example.edu", "https://b.example.edu"]
    );
}

#[test]
fn attendance_and_event_lists_come_from_toml_or_comma_strings() {
    let s = Settings::defaults_with_env(&[
        (
            "HIKBRIDGE__ATTENDANCE__DOORS",
            "code:11=entry, name:Facial Salida=exit, 13=toggle",
        ),
        ("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893,198914"),
        ("HIKBRIDGE__ATTENDANCE__TIME_ZONE", "America/Bogota"),
    ])
    .expect("valid");
    assert_eq!(s.events.event_types, [196893, 198914]);
    let rules = s.attendance.rules();
    assert_eq!(rules.doors.len(), 3);
    assert_eq!(rules.time_zone, chrono_tz::America::Bogota);
    assert!(rules.granted_types.contains(&196893));
    assert!(!rules.granted_types.contains(&197151));

    let err = Settings::defaults_with_env(&[
        ("HIKBRIDGE__ATTENDANCE__DOORS", "11=sideways"),
        ("HIKBRIDGE__ATTENDANCE__TIME_ZONE", "Mars/Olympus"),
        ("HIKBRIDGE__ATTENDANCE__GRANTED_TYPES", "196893,197151"),
    ])
    .expect_err("broken");
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "attendance.time_zone",
            "attendance.granted_types",
            "attendance.doors"
        ],
        "{err}"
    );
}

#[test]
fn a_misspelled_secret_variable_is_pointed_at_the_right_variable() {
    let err = Settings::defaults_with_env(&[("HIKBRIDGE__HUMAND__API_KY", "x")]).expect_err("typo");
    assert!(
        err.to_string()
            .contains("did you mean HIKBRIDGE__HUMAND__API_KEY?"),
        "{err}"
    );
}

#[test]
fn door_rules_with_a_typo_or_a_conflict_are_refused() {
    for (rules, want) in [
        ("cod:11=entry", "did you mean code:?"),
        ("nmae:Salida=exit", "did you mean name:?"),
        ("code:=entry", "empty"),
        ("code:11=entry, code:11=exit", "two directions"),
    ] {
        let err = Settings::defaults_with_env(&[("HIKBRIDGE__ATTENDANCE__DOORS", rules)])
            .expect_err(rules);
        assert!(err.to_string().contains(want), "{rules}: {err}");
    }
    assert!(Settings::defaults_with_env(&[(
        "HIKBRIDGE__ATTENDANCE__DOORS",
        "code:11=entry, 12=exit, name:Torniquete=toggle, code:11=entry"
    )])
    .is_ok());
}

#[test]
fn unknown_environment_key_is_reported_with_a_suggestion() {
    let err = Settings::defaults_with_env(&[("HIKBRIDGE__SERVER__LISTN", "0.0.0.0:1")])
        .expect_err("typo");
    assert!(
        err.to_string().contains("did you mean server.listen?"),
        "{err}"
    );
}

#[test]
fn secrets_in_a_file_are_refused() {
    let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(&path, "[hikcentral]\napp_secret = \"oops\"\n").unwrap();
    let err = Settings::load(&Sources {
        file: Some(path),
        env: Some(HashMap::new()),
    })
    .expect_err("secret in file");
    let text = err.to_string();
    assert!(text.contains("hikcentral.app_secret"), "{text}");
    assert!(
        !text.contains("oops"),
        "the secret itself must not be echoed"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_database_password_in_a_file_is_refused_and_debug_redacts_it() {
    let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(&path, "[store]\nurl = \"postgres://u:hunter2@db/x\"\n").unwrap();
    let err = Settings::load(&Sources {
        file: Some(path),
        env: Some(HashMap::new()),
    })
    .expect_err("password in file");
    assert!(err.to_string().contains("store.url"), "{err}");
    assert!(!err.to_string().contains("hunter2"));
    std::fs::remove_dir_all(dir).ok();

    let s = Settings::defaults_with_env(&[("HIKBRIDGE__STORE__URL", "postgres://u:hunter2@db/x")])
        .unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn secret_files_are_read() {
    let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("s");
    std::fs::write(&secret, "from-file\n").unwrap();
    let s = Settings::defaults_with_env(&[(
        "HIKBRIDGE__HIKCENTRAL__APP_SECRET_FILE",
        secret.to_str().unwrap(),
    )])
    .unwrap();
    assert_eq!(s.hikcentral.app_secret.expose(), "from-file");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn pins_parse_with_or_without_colons() {
    let hex64 = "ab".repeat(32);
    assert!(parse_pin(&hex64).is_some());
    let colons: Vec<&str> = std::iter::repeat_n("AB", 32).collect();
    assert_eq!(parse_pin(&colons.join(":")), parse_pin(&hex64));
    assert!(parse_pin("abcd").is_none());
}

#[test]
fn person_codes_are_at_most_sixteen_letters_or_digits() {
    assert_eq!(
        PersonCodeRule::Ci.person_code("0923456789").unwrap(),
        "0923456789"
    );
    let too_long = PersonCodeRule::Ci
        .person_code("12345678901234567")
        .unwrap_err();
    assert!(too_long.contains("1 to 16 letters or digits"), "{too_long}");
    assert!(PersonCodeRule::Ci.person_code("1.234.567-8").is_err());
    assert_eq!(
        PersonCodeRule::CiAlnum.person_code("1.234.567-8").unwrap(),
        "12345678"
    );
}

#[test]
fn redact_url_hides_passwords() {
    assert_eq!(
        redact_url("postgres://u:pw@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    // The one implementation for every place a database URL is printed: a password given
    // as a query parameter is hidden too (it was printed at start and by check-config).
    let shown = redact_url("postgres://u@h:5432/db?sslmode=require&password=s3cr3t");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("sslmode=require"), "{shown}");
}

#[test]
fn typed_values_are_parsed_once_at_load() {
    let pin = "ab".repeat(32);
    let s = Settings::defaults_with_env(&[
        (
            "HIKBRIDGE__EVENTS__ALLOWED_IPS",
            "10.0.0.5, 192.168.10.0/24",
        ),
        ("HIKBRIDGE__EVENTS__POLL_TYPES_PER_CALL", "one"),
        ("HIKBRIDGE__EVENTS__POLL_RECEIVE_TIME", "off"),
        ("HIKBRIDGE__DELIVERY__EMPLOYEE_ID_TYPE", "integer"),
        ("HIKBRIDGE__ATTENDANCE__ALTERNATION", "park"),
        ("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", pin.as_str()),
    ])
    .expect("valid");
    let nets: Vec<String> = s.events.allowed_ips.iter().map(|n| n.to_string()).collect();
    assert_eq!(nets, ["10.0.0.5/32", "192.168.10.0/24"]);
    assert_eq!(s.events.poll_types_per_call, PollTypesPerCall::One);
    assert_eq!(s.events.poll_receive_time, PollReceiveTime::Off);
    assert_eq!(s.delivery.employee_id_type, EmployeeIdType::Integer);
    assert_eq!(
        s.attendance.alternation,
        crate::attendance::AlternationPolicy::Park
    );
    assert_eq!(s.hikcentral.tls.pin_sha256, Some([0xab; 32]));

    let err = Settings::defaults_with_env(&[
        (
            "HIKBRIDGE__EVENTS__ALLOWED_IPS",
            "10.0.0.5, nowhere, 10.0.0.0/33",
        ),
        ("HIKBRIDGE__EVENTS__POLL_TYPES_PER_CALL", "some"),
        ("HIKBRIDGE__DELIVERY__EMPLOYEE_ID_TYPE", "uuid"),
        ("HIKBRIDGE__ATTENDANCE__ALTERNATION", "drop"),
    ])
    .expect_err("broken");
    let text = err.to_string();
    for want in [
        "events.allowed_ips = \"nowhere\": not an IP address or CIDR",
        "events.allowed_ips = \"10.0.0.0/33\": not an IP address or CIDR",
        "events.poll_types_per_call = \"some\": must be \"all\"",
        "delivery.employee_id_type = \"uuid\": must be string or integer",
        "attendance.alternation = \"drop\": must be send or park",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert_eq!(err.problems.len(), 5, "{text}");
}

#[test]
fn unknown_file_keys_are_reported_with_a_suggestion_even_beside_type_errors() {
    let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        "[server]\nlistn = \"0.0.0.0:1\"\nrequest_timeout_secs = \"soon\"\n[extra]\nthing = 1\n",
    )
    .unwrap();
    let err = Settings::load(&Sources {
        file: Some(path),
        env: Some(HashMap::from([(
            "HIKBRIDGE__LOG__LEVL".to_owned(),
            "debug".to_owned(),
        )])),
    })
    .expect_err("unknown keys");
    let shown: Vec<String> = err.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        shown,
        [
            "extra.thing: unknown key; see config/default.toml for every key",
            "HIKBRIDGE__LOG__LEVL (→ log.levl): unknown key; did you mean log.level?",
            "server.listn: unknown key; did you mean server.listen?",
            "server.request_timeout_secs = \"soon\": must be a whole number ≥ 0 (example: 30)",
        ],
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn per_type_settings_are_maps_parsed_once_and_every_bad_entry_is_reported() {
    let s = Settings::defaults_with_env(&[
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, *=4"),
        ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "E=7|8, D=9"),
        (
            "HIKBRIDGE__BIOMETRICO__VALIDITY",
            "E=2026-03-01T00:00:00-05:00/2026-08-31T23:59:59-05:00",
        ),
    ])
    .expect("valid");
    let b = &s.biometrico;
    assert_eq!(b.org_for("e").as_deref(), Some("2"));
    assert_eq!(b.org_for("D").as_deref(), Some("4"));
    assert_eq!(b.access_levels_for("E"), ["7", "8"]);
    assert!(b.access_levels_for("X").is_empty());
    assert_eq!(
        b.validity_for("E"),
        Some((
            "2026-03-01T00:00:00-05:00".into(),
            "2026-08-31T23:59:59-05:00".into()
        ))
    );
    assert_eq!(b.validity_for("D"), None);

    let err = Settings::defaults_with_env(&[
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E2, *=4"),
        ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "E=7||8"),
        ("HIKBRIDGE__BIOMETRICO__VALIDITY", "*=2020-01-01/2037-12-31"),
    ])
    .expect_err("broken");
    let text = err.to_string();
    for want in [
        "biometrico.org_by_person_type = \"E2\": expected TYPE=orgIndexCode",
        "biometrico.access_levels = \"E=7||8\": expected TYPE=id or TYPE=id|id",
        "biometrico.validity = \"*=2020-01-01/2037-12-31\": expected TYPE=begin/end",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert_eq!(err.problems.len(), 3, "{text}");
}

#[test]
fn the_log_filter_is_checked_once_at_load() {
    let s = Settings::defaults_with_env(&[("HIKBRIDGE__LOG__LEVEL", "hikbridge=debug,sqlx=warn")])
        .expect("valid");
    assert_eq!(s.log.level.as_str(), "hikbridge=debug,sqlx=warn");
    assert_eq!(
        s.log.level.env_filter().to_string(),
        "hikbridge=debug,sqlx=warn"
    );
    let err = Settings::defaults_with_env(&[("HIKBRIDGE__LOG__LEVEL", "hikbridge=loud")])
        .expect_err("not a filter");
    let text = err.to_string();
    assert!(
        text.contains("log.level = \"hikbridge=loud\": not a log filter"),
        "{text}"
    );
    assert_eq!(err.problems.len(), 1, "{text}");
}

#[test]
fn the_ui_language_is_spanish_unless_set_and_checked_like_any_choice() {
    use crate::i18n::Language;
    let s = Settings::defaults_with_env(&[]).expect("defaults");
    assert_eq!(s.ui.language, Language::Es);
    let s = Settings::defaults_with_env(&[("HIKBRIDGE__UI__LANGUAGE", "en")]).expect("en");
    assert_eq!(s.ui.language, Language::En);
    let err = Settings::defaults_with_env(&[("HIKBRIDGE__UI__LANGUAGE", "fr")]).expect_err("fr");
    let text = err.to_string();
    assert!(
        text.contains("ui.language = \"fr\": must be \"es\" (Spanish) or \"en\" (English)"),
        "{text}"
    );
    assert_eq!(err.problems.len(), 1, "{text}");
}
