//! What is wrong with a configuration: one [`Problem`] per key (the key, the bad value, what is
//! wrong and an example of a good value) and [`ConfigError`], every problem found at once.

use std::fmt;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub value: String,
    pub problem: String,
    pub example: String,
}

impl Problem {
    pub(super) fn new(key: &str, value: &str, problem: &str, example: &str) -> Self {
        Problem {
            key: key.into(),
            value: value.into(),
            problem: problem.into(),
            example: example.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if !self.value.is_empty() {
            write!(f, " = {}", self.value)?;
        }
        write!(f, ": {}", self.problem)?;
        if !self.example.is_empty() {
            write!(f, " (example: {})", self.example)?;
        }
        Ok(())
    }
}

/// Every problem found, so an operator can fix them all at once.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl ConfigError {
    pub(super) fn single(key: &str, value: &str, problem: &str, example: &str) -> Self {
        ConfigError {
            problems: vec![Problem::new(key, value, problem, example)],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the configuration has {} problem(s):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A value as problems show it: in quotes, escaped.
pub(super) fn quoted(s: &str) -> String {
    format!("{s:?}")
}
