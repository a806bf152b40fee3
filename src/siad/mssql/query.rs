//! The four configured `siad.query_*` statements: which setting holds each, its binding plan
//! (`@P1`, `@P2` in order) and the tiberius query built from it — never concatenated SQL.

use crate::config::SiadSettings;

/// One of the four configured queries with its arguments.
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
}

impl SiadQuery {
    /// The setting that holds this query's SQL.
    pub fn setting_key(&self) -> &'static str {
        match self {
            Self::PersonByCi { .. } => "siad.query_person_by_ci",
            Self::Students { .. } => "siad.query_students_by_program_period",
            Self::Staff { .. } => "siad.query_staff_by_type",
            Self::PhotoByCi { .. } => "siad.query_photo_by_ci",
        }
    }

    /// The configured SQL.
    pub fn sql<'s>(&self, settings: &'s SiadSettings) -> &'s str {
        match self {
            Self::PersonByCi { .. } => &settings.query_person_by_ci,
            Self::Students { .. } => &settings.query_students_by_program_period,
            Self::Staff { .. } => &settings.query_staff_by_type,
            Self::PhotoByCi { .. } => &settings.query_photo_by_ci,
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
        }
    }

    /// The statement to run: `sql` with [`Self::params`] to bind in order.
    pub(crate) fn statement(&self, sql: &str) -> Statement {
        Statement {
            sql: sql.to_owned(),
            params: self.params(),
            key: self.setting_key(),
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
