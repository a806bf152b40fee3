//! Checks of the `siad.query_*` settings at load: each query may only use the parameters the
//! service binds for it (`@P1`, `@P2`, in order), and the ones that take an argument must use
//! it — a students query without `@P1` would return every student of every period. An empty
//! query is not refused here (the SQLite demo directory ignores them all, and an installation
//! may not use the lifecycle): the SQL Server directory refuses an empty one when it is needed,
//! naming the setting.

use super::biometrico::SiadSettings;
use super::problems::quoted;
use std::fmt;

/// One configured query: its key, its SQL, how many parameters are bound, and whether `@P1`
/// must appear.
struct Rule<'s> {
    key: &'static str,
    sql: &'s str,
    bound: u32,
    needs_p1: bool,
    example: &'static str,
}

impl SiadSettings {
    /// The problems of the `siad.query_*` settings and `siad.roster_query_timeout_ms`.
    pub(super) fn validate_queries(
        &self,
        bad: &mut impl FnMut(&str, &dyn fmt::Display, &str, &str),
    ) {
        if self.roster_query_timeout.is_zero() {
            bad(
                "siad.roster_query_timeout_ms",
                &0,
                "must be greater than 0",
                "120000",
            );
        }
        for rule in self.rules() {
            if rule.sql.trim().is_empty() {
                continue;
            }
            let used = parameters(rule.sql);
            let problem = if rule.needs_p1 && !used.contains(&1) {
                Some("must use @P1 (the argument the service binds)".to_owned())
            } else {
                used.iter()
                    .find(|&&n| n > rule.bound)
                    .map(|extra| match rule.bound {
                        0 => format!("takes no parameter, but uses @P{extra}"),
                        n => format!("uses @P{extra}, but only @P1..@P{n} are bound"),
                    })
            };
            if let Some(problem) = problem {
                bad(
                    rule.key,
                    &quoted(&shorten(rule.sql)),
                    &problem,
                    rule.example,
                );
            }
        }
    }

    fn rules(&self) -> [Rule<'_>; 8] {
        [
            rule(
                "siad.query_person_by_ci",
                &self.query_person_by_ci,
                1,
                true,
                "\"SELECT … FROM informacionpersonal WHERE CIInfPer = @P1\"",
            ),
            rule(
                "siad.query_students_by_program_period",
                &self.query_students_by_program_period,
                2,
                true,
                "\"SELECT … WHERE m.carrera = @P1 AND (@P2 = '' OR m.idper = @P2)\"",
            ),
            rule(
                "siad.query_staff_by_type",
                &self.query_staff_by_type,
                1,
                true,
                "\"SELECT … FROM informacionpersonal WHERE TipoInfPer = @P1\"",
            ),
            rule(
                "siad.query_photo_by_ci",
                &self.query_photo_by_ci,
                1,
                true,
                "\"SELECT Fotografia FROM fotografias WHERE CIInfPer = @P1\"",
            ),
            rule(
                "siad.query_active_students",
                &self.query_active_students,
                1,
                true,
                "\"SELECT … FROM informacionpersonal p WHERE EXISTS (SELECT 1 FROM matriculas m \
                 WHERE m.CIInfPer = p.CIInfPer AND m.idper = @P1)\"",
            ),
            rule(
                "siad.query_active_staff",
                &self.query_active_staff,
                0,
                false,
                "\"SELECT … FROM informacionpersonal p WHERE p.TipoInfPer <> 'E' AND EXISTS (…contratos…)\"",
            ),
            rule(
                "siad.query_current_periods",
                &self.query_current_periods,
                0,
                false,
                "\"SELECT idper FROM periodos WHERE CAST(GETDATE() AS date) BETWEEN inicio AND fin\"",
            ),
            rule(
                "siad.query_photo_versions",
                &self.query_photo_versions,
                0,
                false,
                "\"SELECT CIInfPer, HASHBYTES('SHA2_256', Fotografia) FROM fotografias\"",
            ),
        ]
    }
}

fn rule<'s>(
    key: &'static str,
    sql: &'s str,
    bound: u32,
    needs_p1: bool,
    example: &'static str,
) -> Rule<'s> {
    Rule {
        key,
        sql,
        bound,
        needs_p1,
        example,
    }
}

/// The numbers `n` of every `@Pn` in `sql` (either case; `@P10` is 10, `@Period` is not one).
fn parameters(sql: &str) -> Vec<u32> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let is_marker = bytes.get(i) == Some(&b'@')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b'p'));
        if !is_marker {
            i += 1;
            continue;
        }
        let digits: String = sql[i + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = sql[i + 2 + digits.len()..].chars().next();
        let continues_name = after.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !continues_name {
            if let Ok(n) = digits.parse::<u32>() {
                found.push(n);
            }
        }
        i += 2 + digits.len();
    }
    found
}

/// At most 60 characters of a query, for a problem's value.
fn shorten(sql: &str) -> String {
    let sql = sql.trim();
    match sql.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &sql[..cut]),
        None => sql.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    #[test]
    fn parameters_are_found_by_number_and_not_inside_names() {
        assert_eq!(
            parameters("WHERE a = @P1 AND (@p2 = '' OR b = @P2)"),
            [1, 2, 2]
        );
        assert_eq!(parameters("WHERE a = @P10"), [10]);
        assert!(parameters("DECLARE @Period int; SELECT @P1x, @P_2, @P").is_empty());
        assert_eq!(parameters("x=@P1"), [1]);
        assert!(parameters("").is_empty());
    }

    fn problems(env: &[(&str, &str)]) -> Vec<(String, String)> {
        match Settings::defaults_with_env(env) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|p| (p.key.clone(), p.problem.clone()))
                .collect(),
        }
    }

    #[test]
    fn the_default_queries_pass() {
        assert_eq!(problems(&[]), Vec::<(String, String)>::new());
        let s = Settings::defaults_with_env(&[]).unwrap();
        assert!(s.siad.query_active_students.contains("@P1"));
        assert!(!s.siad.query_active_staff.is_empty());
        assert_eq!(s.siad.roster_query_timeout.as_millis(), 120_000);
    }

    #[test]
    fn a_roster_query_that_ignores_its_period_is_refused() {
        let found = problems(&[(
            "HIKBRIDGE__SIAD__QUERY_ACTIVE_STUDENTS",
            "SELECT * FROM informacionpersonal",
        )]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "siad.query_active_students");
        assert!(found[0].1.contains("@P1"), "{found:?}");
    }

    #[test]
    fn queries_without_parameters_may_not_use_one() {
        for (var, key) in [
            (
                "HIKBRIDGE__SIAD__QUERY_ACTIVE_STAFF",
                "siad.query_active_staff",
            ),
            (
                "HIKBRIDGE__SIAD__QUERY_CURRENT_PERIODS",
                "siad.query_current_periods",
            ),
            (
                "HIKBRIDGE__SIAD__QUERY_PHOTO_VERSIONS",
                "siad.query_photo_versions",
            ),
        ] {
            let found = problems(&[(var, "SELECT x FROM t WHERE y = @P1")]);
            assert_eq!(found.len(), 1, "{key}: {found:?}");
            assert_eq!(found[0].0, key);
            assert!(found[0].1.contains("no parameter"), "{found:?}");
        }
        let found = problems(&[(
            "HIKBRIDGE__SIAD__QUERY_PERSON_BY_CI",
            "SELECT x FROM t WHERE a = @P1 AND b = @P2",
        )]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("only @P1..@P1"), "{found:?}");
    }

    #[test]
    fn optional_queries_may_be_empty_and_the_roster_timeout_may_not_be_zero() {
        assert!(problems(&[
            ("HIKBRIDGE__SIAD__QUERY_CURRENT_PERIODS", ""),
            ("HIKBRIDGE__SIAD__QUERY_PHOTO_VERSIONS", ""),
        ])
        .is_empty());
        let found = problems(&[("HIKBRIDGE__SIAD__ROSTER_QUERY_TIMEOUT_MS", "0")]);
        assert_eq!(
            found,
            [(
                "siad.roster_query_timeout_ms".to_owned(),
                "must be greater than 0".to_owned()
            )]
        );
    }
}
