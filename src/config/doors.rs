//! `attendance.doors`: the door rules (`code:11=entry`, `name:Facial Salida=exit`, a bare
//! `11=entry` meaning a code), with a suggestion for a misspelt `code:`/`name:` and a refusal of
//! two rules that give one door two directions.

use super::problems::{quoted, Problem};
use super::values::{string_or_list, texts};
use crate::attendance::{DoorMatcher, DoorRule};
use config::Config;
use serde::Deserializer;

const KEY: &str = "attendance.doors";

/// `code:11=entry` or `name:Facial Salida=exit` (a bare `11=entry` means a code).
pub fn parse_door(spec: &str) -> Result<DoorRule, String> {
    let (lhs, mode) = spec
        .rsplit_once('=')
        .ok_or_else(|| "expected code:<index>=<mode> or name:<door name>=<mode>".to_string())?;
    let mode = mode.trim().parse().map_err(|e| format!("{e}"))?;
    let lhs = lhs.trim();
    let matcher = if let Some(name) = lhs.strip_prefix("name:") {
        DoorMatcher::Name(name.trim().to_string())
    } else if let Some(code) = lhs.strip_prefix("code:") {
        DoorMatcher::IndexCode(code.trim().to_string())
    } else if let Some((kind, _)) = lhs.split_once(':') {
        let hint = ["code", "name"]
            .into_iter()
            .find(|k| strsim_close(kind.trim(), k))
            .map(|k| format!(" (did you mean {k}:?)"))
            .unwrap_or_default();
        return Err(format!(
            "{:?} is neither code: nor name:{hint}",
            format!("{}:", kind.trim())
        ));
    } else {
        DoorMatcher::IndexCode(lhs.to_string())
    };
    let empty = match &matcher {
        DoorMatcher::Name(n) | DoorMatcher::IndexCode(n) => n.is_empty(),
    };
    if empty {
        return Err("the door code or name is empty".to_string());
    }
    Ok(DoorRule { matcher, mode })
}

/// Two words one or two edits apart (a typo).
fn strsim_close(a: &str, b: &str) -> bool {
    let a = a.to_ascii_lowercase();
    a != b && strsim::levenshtein(&a, b) <= 2
}

/// Pairs of rules that match the same door with different modes.
fn conflicts(rules: &[(&String, DoorRule)]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (sa, a)) in rules.iter().enumerate() {
        for (sb, b) in &rules[i + 1..] {
            if a.matcher == b.matcher && a.mode != b.mode {
                out.push(format!(
                    "{sa:?} and {sb:?} give the same door two directions"
                ));
            }
        }
    }
    out
}

/// The rules, and every rule that does not parse, then every conflict between those that do.
fn parse_all(specs: &[String]) -> (Vec<DoorRule>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut rules = Vec::new();
    for spec in specs {
        match parse_door(spec) {
            Ok(rule) => rules.push((spec, rule)),
            Err(p) => out.push(Problem::new(
                KEY,
                &quoted(spec),
                &p,
                "[\"code:11=entry\", \"name:Facial Salida=exit\"]",
            )),
        }
    }
    out.extend(conflicts(&rules).into_iter().map(|conflict| {
        Problem::new(
            KEY,
            "[…]",
            &conflict,
            "one rule per door: [\"code:11=entry\", \"code:12=exit\"]",
        )
    }));
    (rules.into_iter().map(|(_, rule)| rule).collect(), out)
}

/// The problems of `attendance.doors` as configured.
pub(super) fn check(cfg: &Config) -> Vec<Problem> {
    parse_all(&texts(cfg, KEY)).1
}

/// Deserialise `attendance.doors` (a TOML list or a comma-separated string).
pub(super) fn rules<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DoorRule>, D::Error> {
    let (rules, problems) = parse_all(&string_or_list(d)?);
    match problems.into_iter().next() {
        Some(p) => Err(serde::de::Error::custom(p.problem)),
        None => Ok(rules),
    }
}
