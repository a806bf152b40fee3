//! The configured `siad.query_*` statements: which setting holds each, its binding plan (`@P1`,
//! `@P2` in order) and the tiberius query built from it — never concatenated SQL.

use crate::config::SiadSettings;

/// One of the configured queries with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiadQuery {
    PersonByCi {
        ci: String,
    },
    Students {
        program: String,
        period: Option<String>,
    },
    Staff {
        person_type: String,
    },
    PhotoByCi {
        ci: String,
    },
    /// The lifecycle's roster: students enrolled in one period.
    ActiveStudents {
        period: String,
    },
    /// The lifecycle's roster: staff with an active contract now (no parameter).
    ActiveStaff,
    /// The current period ids (no parameter; optional setting).
    CurrentPeriods,
    /// `(CIInfPer, version)` of every photo (no parameter; optional setting).
    PhotoVersions,
}

impl SiadQuery {
    /// The setting that holds this query's SQL.
    pub fn setting_key(&self) -> &'static str {
        match self {
            Self::PersonByCi { .. } => "siad.query_person_by_ci",
            Self::Students { .. } => "siad.query_students_by_program_period",
            Self::Staff { .. } => "siad.query_staff_by_type",
            Self::PhotoByCi { .. } => "siad.query_photo_by_ci",
            Self::ActiveStudents { .. } => "siad.query_active_students",
            Self::ActiveStaff => "siad.query_active_staff",
            Self::CurrentPeriods => "siad.query_current_periods",
            Self::PhotoVersions => "siad.query_photo_versions",
        }
    }

    /// The configured SQL.
    pub fn sql<'s>(&self, settings: &'s SiadSettings) -> &'s str {
        match self {
            Self::PersonByCi { .. } => &settings.query_person_by_ci,
            Self::Students { .. } => &settings.query_students_by_program_period,
            Self::Staff { .. } => &settings.query_staff_by_type,
            Self::PhotoByCi { .. } => &settings.query_photo_by_ci,
            Self::ActiveStudents { .. } => &settings.query_active_students,
            Self::ActiveStaff => &settings.query_active_staff,
            Self::CurrentPeriods => &settings.query_current_periods,
            Self::PhotoVersions => &settings.query_photo_versions,
        }
    }

    /// The binding plan: element `i` is bound as `@P{i+1}`.
    pub fn params(&self) -> Vec<String> {
        match self {
            Self::PersonByCi { ci } | Self::PhotoByCi { ci } => vec![ci.clone()],
            Self::Students { program, period } => {
                vec![program.clone(), period.clone().unwrap_or_default()]
            }
            Self::Staff { person_type } => vec![person_type.clone()],
            Self::ActiveStudents { period } => vec![period.clone()],
            Self::ActiveStaff | Self::CurrentPeriods | Self::PhotoVersions => Vec::new(),
        }
    }

    /// Why this query cannot run when its setting is empty, and what to set.
    pub fn when_empty(&self) -> String {
        match self {
            Self::CurrentPeriods => "siad.query_current_periods is empty: set \
                                     lifecycle.current_periods or siad.query_current_periods"
                .to_owned(),
            other => format!(
                "{} is empty; set it to the SQL for this installation (config/default.toml \
                 shows the shape)",
                other.setting_key()
            ),
        }
    }

    /// Whether this query reads the whole roster (and gets `siad.roster_query_timeout_ms`
    /// rather than the per-request `siad.query_timeout_ms`).
    pub fn is_roster(&self) -> bool {
        matches!(
            self,
            Self::ActiveStudents { .. }
                | Self::ActiveStaff
                | Self::CurrentPeriods
                | Self::PhotoVersions
        )
    }

    /// The statement to run: `sql` with [`Self::params`] to bind in order.
    pub(crate) fn statement(&self, sql: &str) -> Statement {
        Statement {
            sql: sql.to_owned(),
            params: self.params(),
            key: self.setting_key(),
            timeout: None,
        }
    }
}

/// The SQL to run and what it is called, as the pool needs it.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub sql: String,
    pub params: Vec<String>,
    /// The setting the SQL came from, for error messages.
    pub key: &'static str,
    /// `Some`: this statement's own limit (`siad.roster_query_timeout_ms`) instead of
    /// `siad.query_timeout_ms`.
    pub timeout: Option<std::time::Duration>,
}

impl Statement {
    /// How long the statement may run, and the setting that says so.
    pub(crate) fn time_limit(
        &self,
        query_timeout: std::time::Duration,
    ) -> (std::time::Duration, &'static str) {
        match self.timeout {
            Some(limit) => (limit, "siad.roster_query_timeout_ms"),
            None => (query_timeout, "siad.query_timeout_ms"),
        }
    }
}

impl Statement {
    /// `Query::new(sql)` with the parameters bound in order — the only way SIAD SQL is built.
    pub(crate) fn to_query(&self) -> tiberius::Query<'static> {
        let mut query = tiberius::Query::new(self.sql.clone());
        for p in &self.params {
            query.bind(p.clone());
        }
        query
    }
}
