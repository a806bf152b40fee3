//! Who is in HikCentral: the whole person list, paged at 500, kept as the plan needs it (by
//! personCode: personId, names, e-mail, organisation). Persons without a personCode cannot be
//! SIAD people: they are counted, not kept.

use super::plan::HikPerson;
use crate::artemis::model::string_or_number;
use crate::artemis::ArtemisClient;
use crate::person_sync::person_list::{PagingError, PersonPages};
use serde::Deserialize;
use std::collections::HashMap;

/// The PersonInfo fields the plan reads; numbers tolerated, the rest ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(default, deserialize_with = "string_or_number")]
    person_id: String,
    #[serde(default, deserialize_with = "string_or_number")]
    person_code: String,
    #[serde(default, deserialize_with = "string_or_number")]
    person_given_name: String,
    #[serde(default, deserialize_with = "string_or_number")]
    person_family_name: String,
    #[serde(default, deserialize_with = "string_or_number")]
    email: String,
    #[serde(default, deserialize_with = "string_or_number")]
    org_index_code: String,
}

/// HikCentral's people by personCode.
#[derive(Debug, Default)]
pub struct Census {
    pub by_code: HashMap<String, HikPerson>,
    /// Listed without a personCode or a personId.
    pub without_code: u64,
    pub pages: u32,
}

/// Read the whole list. A page that fails ends the census with the error: a plan is never made
/// from part of HikCentral.
pub async fn read(client: &ArtemisClient) -> Result<Census, PagingError> {
    let mut census = Census::default();
    let mut pages = PersonPages::new(client);
    while let Some(list) = pages.next::<Listed>().await? {
        for p in list {
            let code = p.person_code.trim();
            if code.is_empty() || p.person_id.trim().is_empty() {
                census.without_code += 1;
                continue;
            }
            census.by_code.insert(
                code.to_owned(),
                HikPerson {
                    person_id: p.person_id.trim().to_owned(),
                    given_name: p.person_given_name,
                    family_name: p.person_family_name,
                    email: p.email,
                    org: p.org_index_code.trim().to_owned(),
                },
            );
        }
    }
    census.pages = pages.read;
    Ok(census)
}
