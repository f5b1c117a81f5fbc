//! A TAXII 2.1 client: server discovery (`/taxii2/`), API roots, collections, and a
//! collection's objects with `added_after` and paging (`limit`, `next`, `more`, and the
//! `X-TAXII-Date-Added-First`/`-Last` headers), with HTTP basic authentication.
//!
//! [`TaxiiClient::poll`] fetches everything added after `since` and returns the `since` of the
//! next poll, so the caller can poll on a schedule and store one timestamp per collection;
//! [`TaxiiClient::poll_indicators`] runs the objects through the [`crate::stix`] reader.
//!
//! The password lives in a [`Secret`]: neither `Debug` output nor errors show it.

use canhgac_model::Timestamp;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fetch::{get, redacted, BasicAuth, FetchError, FetchLimits, Secret};
use crate::stix::{read_objects, StixError, StixImport};

/// The media type of TAXII 2.1 responses, sent as `Accept`.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

/// Why a TAXII exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum TaxiiError {
    /// The request failed, was refused or was too large.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The response is not the JSON TAXII describes.
    #[error("{url}: not a TAXII {what}: {problem}")]
    Response {
        /// The URL.
        url: String,
        /// What was expected ("discovery document", "collection list"…).
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The server said there is more but gave no way to get it.
    #[error("{url}: {problem}")]
    Paging {
        /// The URL.
        url: String,
        /// What is wrong.
        problem: String,
    },
    /// The objects are not valid STIX.
    #[error(transparent)]
    Stix(#[from] StixError),
}

impl TaxiiError {
    /// Vietnamese message for the console.
    pub fn message_vi(&self) -> String {
        match self {
            TaxiiError::Fetch(error) => error.message_vi(),
            TaxiiError::Response { url, what, problem } => {
                format!("Phản hồi từ {url} không phải {what} TAXII hợp lệ: {problem}")
            }
            TaxiiError::Paging { url, problem } => {
                format!("Máy chủ TAXII {url} phân trang không đúng: {problem}")
            }
            TaxiiError::Stix(error) => error.message_vi(),
        }
    }
}

/// A TAXII server's discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Contact.
    #[serde(default)]
    pub contact: Option<String>,
    /// The default API root, resolved to an absolute URL.
    #[serde(default)]
    pub default: Option<String>,
    /// API roots, resolved to absolute URLs.
    #[serde(default)]
    pub api_roots: Vec<String>,
}

/// An API root's information.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiRoot {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// TAXII versions (media types) supported.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Largest request body the server accepts.
    #[serde(default)]
    pub max_content_length: Option<u64>,
}

/// A collection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Collection {
    /// Identifier, used in URLs.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether we may read objects.
    pub can_read: bool,
    /// Whether we may add objects.
    pub can_write: bool,
    /// Media types of its objects.
    #[serde(default)]
    pub media_types: Vec<String>,
}

#[derive(Deserialize)]
struct CollectionList {
    #[serde(default)]
    collections: Vec<Collection>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<Value>,
}

/// One page of a collection's objects.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectsPage {
    /// The STIX objects.
    pub objects: Vec<Value>,
    /// More objects follow.
    pub more: bool,
    /// The token for the next page, when the server pages with `next`.
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-First`.
    pub date_added_first: Option<Timestamp>,
    /// `X-TAXII-Date-Added-Last`.
    pub date_added_last: Option<Timestamp>,
}

/// The result of a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxiiPoll {
    /// Every object added after `since`, in the server's order.
    pub objects: Vec<Value>,
    /// Pages fetched.
    pub pages: usize,
    /// The `since` of the next poll: the newest date added seen, else the old `since`.
    pub new_since: Option<Timestamp>,
}

/// A TAXII 2.1 client.
#[derive(Debug, Clone)]
pub struct TaxiiClient {
    client: reqwest::Client,
    auth: Option<BasicAuth>,
    limits: FetchLimits,
    page_limit: Option<u32>,
    max_pages: usize,
}

impl TaxiiClient {
    /// A client using `client` (see [`crate::fetch::feed_client`]), with optional basic
    /// credentials and the timeout and size cap of `limits` on every response.
    pub fn new(client: reqwest::Client, auth: Option<BasicAuth>, limits: FetchLimits) -> Self {
        Self {
            client,
            auth,
            limits,
            page_limit: None,
            max_pages: 10_000,
        }
    }

    /// Basic credentials from a user name and password.
    pub fn basic_auth(username: &str, password: &str) -> BasicAuth {
        BasicAuth {
            username: username.to_string(),
            password: Secret::new(password),
        }
    }

    /// Asks for at most `limit` objects per page (the server may send fewer).
    pub fn with_page_limit(mut self, limit: u32) -> Self {
        self.page_limit = Some(limit);
        self
    }

    /// Stops a poll after `pages` pages with an error (a guard against servers that never say
    /// "no more"); 10,000 by default.
    pub fn with_max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
        what: &'static str,
    ) -> Result<(HeaderMap, T), TaxiiError> {
        let (headers, body) = get(
            &self.client,
            url,
            TAXII_MEDIA_TYPE,
            self.auth.as_ref(),
            &self.limits,
        )
        .await?;
        let value = serde_json::from_slice(&body).map_err(|error| TaxiiError::Response {
            url: redacted(url),
            what,
            problem: error.to_string(),
        })?;
        Ok((headers, value))
    }

    /// Reads the discovery document at `server` (a server address, to which `/taxii2/` is
    /// added, or the discovery URL itself). API root URLs come back absolute.
    pub async fn discover(&self, server: &Url) -> Result<Discovery, TaxiiError> {
        let url = if server.path().trim_end_matches('/').ends_with("/taxii2") {
            with_slash(server)
        } else {
            with_slash(server)
                .join("taxii2/")
                .map_err(|error| TaxiiError::Response {
                    url: redacted(server),
                    what: "server address",
                    problem: error.to_string(),
                })?
        };
        let (_, mut discovery): (_, Discovery) = self.get_json(&url, "discovery document").await?;
        let absolute = |root: &str| -> Result<String, TaxiiError> {
            url.join(root)
                .map(|joined| with_slash(&joined).to_string())
                .map_err(|error| TaxiiError::Response {
                    url: redacted(&url),
                    what: "discovery document",
                    problem: format!("API root {root:?}: {error}"),
                })
        };
        discovery.api_roots = discovery
            .api_roots
            .iter()
            .map(|root| absolute(root))
            .collect::<Result<_, _>>()?;
        discovery.default = discovery.default.as_deref().map(absolute).transpose()?;
        Ok(discovery)
    }

    /// Reads an API root's information.
    pub async fn api_root(&self, api_root: &Url) -> Result<ApiRoot, TaxiiError> {
        Ok(self
            .get_json(&with_slash(api_root), "API root information")
            .await?
            .1)
    }

    /// Lists an API root's collections.
    pub async fn collections(&self, api_root: &Url) -> Result<Vec<Collection>, TaxiiError> {
        let url = self.under(api_root, &["collections"])?;
        let (_, list): (_, CollectionList) = self.get_json(&url, "collection list").await?;
        Ok(list.collections)
    }

    /// Fetches one page of a collection's objects added after `added_after`; `next` continues
    /// a paged listing.
    pub async fn objects_page(
        &self,
        api_root: &Url,
        collection_id: &str,
        added_after: Option<Timestamp>,
        next: Option<&str>,
    ) -> Result<ObjectsPage, TaxiiError> {
        let mut url = self.under(api_root, &["collections", collection_id, "objects"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(after) = added_after {
                query.append_pair("added_after", &after.to_string());
            }
            if let Some(limit) = self.page_limit {
                query.append_pair("limit", &limit.to_string());
            }
            if let Some(next) = next {
                query.append_pair("next", next);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let (headers, envelope): (_, Envelope) = self.get_json(&url, "envelope").await?;
        let header_time = |name: &str| -> Result<Option<Timestamp>, TaxiiError> {
            let Some(value) = headers.get(name) else {
                return Ok(None);
            };
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<Timestamp>().ok())
                .map(Some)
                .ok_or_else(|| TaxiiError::Response {
                    url: redacted(&url),
                    what: "envelope",
                    problem: format!("header {name} is not a timestamp"),
                })
        };
        Ok(ObjectsPage {
            date_added_first: header_time("X-TAXII-Date-Added-First")?,
            date_added_last: header_time("X-TAXII-Date-Added-Last")?,
            objects: envelope.objects,
            more: envelope.more,
            next: envelope.next.filter(|next| !next.is_empty()),
        })
    }

    /// Fetches every object of a collection added after `since`, page by page: with `next`
    /// when the server gives it, else with `added_after` set to the last page's
    /// `X-TAXII-Date-Added-Last`. All or nothing.
    pub async fn poll(
        &self,
        api_root: &Url,
        collection_id: &str,
        since: Option<Timestamp>,
    ) -> Result<TaxiiPoll, TaxiiError> {
        let mut poll = TaxiiPoll {
            objects: Vec::new(),
            pages: 0,
            new_since: since,
        };
        let mut added_after = since;
        let mut next: Option<String> = None;
        let paging_error = |problem: String| TaxiiError::Paging {
            url: format!(
                "{}collections/{collection_id}/objects/",
                redacted(&with_slash(api_root))
            ),
            problem,
        };
        while poll.pages < self.max_pages {
            let page = self
                .objects_page(api_root, collection_id, added_after, next.as_deref())
                .await?;
            poll.pages += 1;
            if let Some(last) = page.date_added_last {
                poll.new_since = poll.new_since.max(Some(last));
            }
            poll.objects.extend(page.objects);
            if !page.more {
                return Ok(poll);
            }
            match (page.next, page.date_added_last) {
                (Some(token), _) => next = Some(token),
                (None, Some(last)) if Some(last) > added_after => added_after = Some(last),
                _ => {
                    return Err(paging_error(
                        "the server says there is more but gives neither a next token nor a \
                         later X-TAXII-Date-Added-Last"
                            .to_string(),
                    ))
                }
            }
        }
        Err(paging_error(format!(
            "still more after {} pages",
            self.max_pages
        )))
    }

    /// [`Self::poll`], then reads the objects as STIX: the indicators, and the `since` of the
    /// next poll. `default_source` names the source of indicators that name none.
    pub async fn poll_indicators(
        &self,
        api_root: &Url,
        collection_id: &str,
        since: Option<Timestamp>,
        default_source: &str,
    ) -> Result<(StixImport, Option<Timestamp>), TaxiiError> {
        let poll = self.poll(api_root, collection_id, since).await?;
        let import = read_objects(&poll.objects, default_source)?;
        Ok((import, poll.new_since))
    }

    /// `base/segment/segment/`, each segment percent-encoded.
    fn under(&self, base: &Url, segments: &[&str]) -> Result<Url, TaxiiError> {
        let mut url = with_slash(base);
        {
            let mut path = url.path_segments_mut().map_err(|()| TaxiiError::Response {
                url: redacted(base),
                what: "API root URL",
                problem: "cannot hold a path".to_string(),
            })?;
            path.pop_if_empty();
            path.extend(segments);
            path.push("");
        }
        Ok(url)
    }
}

fn with_slash(url: &Url) -> Url {
    let mut url = url.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}
