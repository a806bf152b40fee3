//! Paging through HikCentral's whole person list (`person/personList`, reference §3): `pageNo`
//! from 1 with `pageSize` [`PAGE_SIZE`] (HikCentral's maximum), until a short page or
//! `pageNo × pageSize ≥ total`. A full page with a `total` of 0 (missing) is read as "total
//! unknown": paging goes on until a short page, bounded by [`MAX_PAGES`]. The reconciler and the
//! lifecycle's census both read it this way.

use crate::artemis::model::Page;
use crate::artemis::{ArtemisClient, ArtemisError};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The API paged.
pub const PERSON_LIST_PATH: &str = "/artemis/api/resource/v1/person/personList";
/// `pageSize` asked for: HikCentral's maximum.
pub const PAGE_SIZE: u32 = 500;
/// Pages read in one pass before giving up on a list that never ends (10 million persons).
pub const MAX_PAGES: u32 = 20_000;

/// Whether paging is over after page `page_no` answered `listed` persons out of `total`.
pub fn last_page(page_no: u32, listed: usize, total: u64) -> bool {
    let full = listed >= PAGE_SIZE as usize;
    let read = u64::from(page_no) * u64::from(PAGE_SIZE);
    !full || (total > 0 && read >= total)
}

/// Why paging stopped early.
#[derive(Debug, thiserror::Error)]
pub enum PagingError {
    #[error("HikCentral person list page {page} (after {read} page(s) read): {error}")]
    Page {
        page: u32,
        read: u32,
        error: ArtemisError,
    },
    #[error("HikCentral's person list did not end after {MAX_PAGES} pages of {PAGE_SIZE}")]
    Endless,
}

/// The pages of the person list, one at a time.
pub struct PersonPages<'a> {
    client: &'a ArtemisClient,
    next: u32,
    done: bool,
    /// The largest `total` any page announced.
    pub total: u64,
    /// Pages answered so far.
    pub read: u32,
}

impl<'a> PersonPages<'a> {
    pub fn new(client: &'a ArtemisClient) -> Self {
        Self {
            client,
            next: 1,
            done: false,
            total: 0,
            read: 0,
        }
    }

    /// The next page's persons (each decoded whole before any is returned), or `None` after
    /// the last page.
    pub async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Vec<T>>, PagingError> {
        if self.done {
            return Ok(None);
        }
        let page_no = self.next;
        let page: Page<T> = self
            .client
            .call_data(
                PERSON_LIST_PATH,
                &json!({"pageNo": page_no, "pageSize": PAGE_SIZE}),
            )
            .await
            .map_err(|error| PagingError::Page {
                page: page_no,
                read: self.read,
                error,
            })?;
        self.total = self.total.max(page.total);
        self.read += 1;
        if last_page(page_no, page.list.len(), page.total) {
            self.done = true;
        } else if page_no >= MAX_PAGES {
            return Err(PagingError::Endless);
        }
        self.next += 1;
        Ok(Some(page.list))
    }
}
