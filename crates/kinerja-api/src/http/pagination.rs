//! Keyset pagination shared by every list: `limit` and an opaque `cursor` in, a page out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500, example = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (opaque; empty means the first page).
    #[param(pattern = "^[A-Za-z0-9_-]*$", max_length = 1200)]
    pub cursor: Option<String>,
}

/// A validated page request: fetch `limit + 1` rows after `after` to know if more follow.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Uuid>,
}

impl PageParams {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let limit = self.checked_limit()?;
        let after = match self.cursor_bytes()? {
            None => None,
            Some(bytes) => Some(Uuid::from_slice(&bytes).map_err(|_| invalid_cursor("cursor"))?),
        };
        Ok(PageRequest { limit, after })
    }

    /// The page size asked for, within bounds.
    pub fn checked_limit(&self) -> Result<u32, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation("limit", "out_of_range", format!("must be 1 to {MAX_LIMIT}")));
        }
        Ok(limit)
    }

    /// The cursor's bytes (a list keyed by more than an id decodes them itself); `None` for the
    /// first page.
    pub fn cursor_bytes(&self) -> Result<Option<Vec<u8>>, ApiError> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => URL_SAFE_NO_PAD.decode(c).map(Some).map_err(|_| invalid_cursor("cursor")),
        }
    }
}

/// A cursor (in `field`) this API did not issue.
pub fn invalid_cursor(field: &str) -> ApiError {
    ApiError::validation(field, "invalid_cursor", "is not a cursor this API issued")
}

/// The cursor of a list keyed by more than an id.
pub fn encode_key(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl PageRequest {
    /// Rows to fetch: one more than the page, to tell whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list small enough to be whole (a position's standard): one page, none after it.
    pub fn whole(items: Vec<T>) -> Self {
        Page { items, next_cursor: None }
    }
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows keyed by `key`.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        request: PageRequest,
        key: impl Fn(&R) -> Uuid,
        map: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() > request.limit as usize;
        rows.truncate(request.limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(key(r))) } else { None };
        Page { items: rows.into_iter().map(map).collect(), next_cursor }
    }
}

impl<T> Page<T> {
    /// Like [`Page::from_rows`] for a list filtered after fetching (a row may give no item):
    /// the cursor follows the last row scanned, so a page may hold fewer than `limit` items.
    pub fn scanned<R>(
        mut rows: Vec<R>,
        request: PageRequest,
        key: impl Fn(&R) -> Uuid,
        map: impl FnMut(R) -> Option<T>,
    ) -> Self {
        let more = rows.len() > request.limit as usize;
        rows.truncate(request.limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(key(r))) } else { None };
        Page { items: rows.into_iter().filter_map(map).collect(), next_cursor }
    }
}

fn encode_cursor(id: Uuid) -> String {
    encode_key(id.as_bytes())
}

#[cfg(test)]
fn decode_cursor(cursor: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    Uuid::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }

    #[test]
    fn limit_bounds() {
        let p = |limit| PageParams { limit: Some(limit), cursor: None }.parse();
        assert!(p(0).is_err());
        assert!(p(1).is_ok());
        assert!(p(500).is_ok());
        assert!(p(501).is_err());
    }

    #[test]
    fn page_knows_when_more_follow() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let req = PageRequest { limit: 2, after: None };
        let page = Page::from_rows(ids.clone(), req, |id| *id, |id| id);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(ids[1])));
        let last = Page::from_rows(ids[..2].to_vec(), req, |id| *id, |id| id);
        assert_eq!(last.next_cursor, None);
    }
}
