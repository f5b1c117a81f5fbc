//! Pagination of listings.

use serde::{Deserialize, Serialize};

/// Which slice of a listing to return, plus an optional free-text filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page (capped at [`PageRequest::MAX_PER_PAGE`]).
    pub per_page: u32,
    /// Case-insensitive text to look for in names, codes and addresses.
    pub q: Option<String>,
}

impl PageRequest {
    /// The largest page served.
    pub const MAX_PER_PAGE: u32 = 500;

    /// A request for page `page` of `per_page` items.
    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
            q: None,
        }
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.limit())
    }

    /// Rows to return.
    pub fn limit(&self) -> u32 {
        self.per_page.clamp(1, Self::MAX_PER_PAGE)
    }

    /// The text filter, trimmed, or `None` when blank.
    pub fn query(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(1, 50)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// This page's number (1-based).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl<T> Page<T> {
    /// Number of pages in all.
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page.max(1))).max(1)
    }
}
