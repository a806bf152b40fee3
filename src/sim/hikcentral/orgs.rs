//! Organisations: a seeded tree (root `1` under parent `0`, and three departments) and the
//! `org/...` APIs.

use super::wire::{page_of, ApiError, ApiResult, Params};
use super::HikSim;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Org {
    pub code: String,
    pub name: String,
    pub parent: String,
}

impl Org {
    fn new(code: &str, name: &str, parent: &str) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            parent: parent.into(),
        }
    }

    fn info(&self) -> Value {
        json!({ "orgIndexCode": self.code, "orgName": self.name, "parentOrgIndexCode": self.parent })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Orgs(Vec<Org>);

impl Orgs {
    pub fn seeded() -> Self {
        Self(vec![
            Org::new("1", "Universidad", "0"),
            Org::new("2", "Estudiantes", "1"),
            Org::new("3", "Docentes", "1"),
            Org::new("4", "Administrativos", "1"),
        ])
    }

    pub fn exists(&self, code: &str) -> bool {
        self.0.iter().any(|o| o.code == code)
    }

    fn root(&self) -> Option<&Org> {
        self.0.iter().find(|o| o.parent == "0")
    }
}

pub(crate) fn root(sim: &HikSim, _: &Params) -> ApiResult {
    sim.store()
        .orgs
        .root()
        .map(Org::info)
        .ok_or_else(|| ApiError::new(super::wire::code::NOT_FOUND, "no root organisation"))
}

pub(crate) fn list(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    let all = sim.store().orgs.0.iter().map(Org::info).collect();
    Ok(page_of(all, page_no, page_size))
}

/// Like `list`, with an optional fuzzy, case-insensitive `orgName`.
pub(crate) fn advance_list(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    let needle = p.opt_str("orgName")?.map(|n| n.to_lowercase());
    let found = sim
        .store()
        .orgs
        .0
        .iter()
        .filter(|o| {
            needle
                .as_deref()
                .is_none_or(|n| o.name.to_lowercase().contains(n))
        })
        .map(Org::info)
        .collect();
    Ok(page_of(found, page_no, page_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_tree_has_one_root_under_zero() {
        let orgs = Orgs::seeded();
        assert_eq!(
            orgs.root().map(Org::info),
            Some(json!({"orgIndexCode":"1","orgName":"Universidad","parentOrgIndexCode":"0"}))
        );
        assert!(orgs.exists("3") && !orgs.exists("9"));
        assert!(orgs
            .0
            .iter()
            .filter(|o| o.code != "1")
            .all(|o| o.parent == "1"));
    }
}
