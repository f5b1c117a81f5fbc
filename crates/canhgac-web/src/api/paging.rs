//! Listing queries and answers: `page`, `per_page`, `q` in, `{items,total,page,per_page}` out,
//! with a `Link` header (RFC 8288) to the first, previous, next and last pages.

use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_model::{Page, PageRequest};
use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// Items per page when the query does not say.
pub const DEFAULT_PER_PAGE: i64 = 50;

/// Checks raw paging parameters: `page` ≥ 1, `per_page` in 1..=500.
pub fn page_request(
    page: Option<i64>,
    per_page: Option<i64>,
    q: Option<String>,
) -> Result<PageRequest, ApiError> {
    let page = page.unwrap_or(1);
    if page < 1 || page > i64::from(u32::MAX) {
        return Err(ApiError::invalid("page", "must be 1 or more"));
    }
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    let max = i64::from(PageRequest::MAX_PER_PAGE);
    if !(1..=max).contains(&per_page) {
        return Err(ApiError::invalid(
            "per_page",
            format!("must be from 1 to {max}"),
        ));
    }
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "is longer than 200 characters"));
    }
    // Both values were range-checked above, so the conversions cannot fail.
    let mut request = PageRequest::new(
        u32::try_from(page).unwrap_or(1),
        u32::try_from(per_page).unwrap_or(1),
    );
    request.q = q;
    Ok(request)
}

/// Paging alone, for listings without filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
    /// Case-insensitive text to look for in names, codes and addresses.
    pub q: Option<String>,
}

impl PageQuery {
    /// The checked page request.
    pub fn to_request(&self) -> Result<PageRequest, ApiError> {
        page_request(self.page, self.per_page, self.q.clone())
    }
}

/// A page answered as JSON with its `Link` header; `uri` is the request's original URI.
pub fn listing<T: Serialize>(uri: &Uri, page: Page<T>) -> Response {
    let link = link_header(uri, page.page, page.pages());
    let mut response = Json(page).into_response();
    if let Some(value) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

fn link_header(uri: &Uri, page: u32, pages: u64) -> Option<String> {
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("page="))
        .collect();
    let target = |n: u64| {
        let mut query = kept.join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!("<{}?{query}page={n}>", uri.path())
    };
    let page = u64::from(page);
    let mut links = vec![format!("{}; rel=\"first\"", target(1))];
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", target((page - 1).min(pages))));
    }
    if page < pages {
        links.push(format!("{}; rel=\"next\"", target(page + 1)));
    }
    links.push(format!("{}; rel=\"last\"", target(pages)));
    Some(links.join(", "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_bounds_name_the_field() {
        assert_eq!(
            page_request(Some(0), None, None)
                .unwrap_err()
                .problem()
                .field,
            Some("page".to_string())
        );
        assert_eq!(
            page_request(None, Some(501), None)
                .unwrap_err()
                .problem()
                .field,
            Some("per_page".to_string())
        );
        let ok = page_request(Some(3), Some(500), Some("x".into())).unwrap();
        assert_eq!((ok.page, ok.per_page), (3, 500));
    }

    #[test]
    fn links_keep_filters_and_replace_page() {
        let uri: Uri = "/api/v1/units?kind=commune&page=2&per_page=10"
            .parse()
            .unwrap();
        let link = link_header(&uri, 2, 3).unwrap();
        assert!(link.contains("</api/v1/units?kind=commune&per_page=10&page=3>; rel=\"next\""));
        assert!(link.contains("page=1>; rel=\"prev\""));
        assert!(link.contains("page=3>; rel=\"last\""));
        let single = link_header(&"/api/v1/units".parse().unwrap(), 1, 1).unwrap();
        assert!(!single.contains("next") && !single.contains("prev"));
    }
}
