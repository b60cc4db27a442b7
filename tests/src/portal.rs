//! Tracking users' side: one [`PortalClient`] per user, each with its own
//! cookie jar, signing in through `POST /api/portal/v1/session` as a
//! browser's script would.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use crate::html::forms;
use crate::{Reply, TestApp, read};

/// The portal session cookie's name.
pub const SESSION_COOKIE: &str = "porthole_session";

/// A shipment id that exists nowhere.
pub const MISSING_SHIPMENT_ID: &str = "shp_00000000000000000000000000000000";

/// More pages than any test world fills; a list still going after this
/// many pages is looping.
const MAX_PAGES: usize = 500;

/// The query of a shipment list (`?status=&q=&limit=`); the cursor is
/// followed by [`all_pages`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    pub limit: Option<u32>,
}

impl ListQuery {
    /// Everything, `limit` items per page.
    pub fn paged(limit: u32) -> Self {
        Self { limit: Some(limit), ..Self::default() }
    }

    pub fn search(q: &str) -> Self {
        Self { q: Some(q.to_owned()), ..Self::default() }
    }

    pub fn status(status: &str) -> Self {
        Self { status: Some(status.to_owned()), ..Self::default() }
    }

    fn params(&self, cursor: Option<&str>) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(status) = &self.status {
            params.push(("status", status.clone()));
        }
        if let Some(q) = &self.q {
            params.push(("q", q.clone()));
        }
        if let Some(limit) = self.limit {
            params.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_owned()));
        }
        params
    }
}

/// Every item of a cursor-paginated list, following `next_cursor` to the
/// end. Asserts each page is a 200 `{items, next_cursor}` no longer than
/// the limit, and that no item comes twice.
pub async fn all_pages(request: impl Fn() -> reqwest::RequestBuilder, query: &ListQuery) -> Vec<Value> {
    let mut items: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let reply = read(request().query(&query.params(cursor.as_deref()))).await;
        assert_eq!(reply.status, StatusCode::OK, "list {query:?} at cursor {cursor:?}: {}", reply.text);
        let Some(page) = reply.body.get("items").and_then(Value::as_array) else {
            panic!("no items in the list answer: {}", reply.text)
        };
        if let Some(limit) = query.limit {
            assert!(page.len() <= limit as usize, "a page longer than its limit {limit}: {}", reply.text);
        }
        for item in page {
            let id = item.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            assert!(seen.insert(id.clone()), "item {id} listed twice across pages of {query:?}");
            items.push(item.clone());
        }
        match reply.body.get("next_cursor") {
            Some(Value::String(next)) => cursor = Some(next.clone()),
            None | Some(Value::Null) => return items,
            Some(other) => panic!("next_cursor is neither a string nor null: {other}"),
        }
    }
    panic!("the list {query:?} did not end after {MAX_PAGES} pages")
}

/// The `id` of each list item, in order.
pub fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| item.get("id").and_then(Value::as_str).unwrap_or_default().to_owned()).collect()
}

/// One tracking user's browser-like client: it keeps its own cookies.
#[derive(Clone)]
pub struct PortalClient {
    base_url: String,
    client: reqwest::Client,
    jar: Arc<Jar>,
}

impl std::fmt::Debug for PortalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalClient").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl PortalClient {
    pub fn new(base_url: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client =
            match reqwest::Client::builder().cookie_provider(Arc::clone(&jar)).timeout(Duration::from_secs(30)).build()
            {
                Ok(client) => client,
                Err(error) => panic!("cannot build an HTTP client: {error}"),
            };
        Self { base_url: base_url.to_owned(), client, jar }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request that carries this client's cookies.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        read(self.request(Method::POST, path).json(body)).await
    }

    /// `POST /api/portal/v1/session`.
    pub async fn sign_in(&self, login: &str, password: &str) -> Reply {
        self.post_json("/api/portal/v1/session", &json!({ "login": login, "password": password })).await
    }

    /// `DELETE /api/portal/v1/session`.
    pub async fn sign_out(&self) -> Reply {
        read(self.request(Method::DELETE, "/api/portal/v1/session")).await
    }

    /// One page of `GET /api/portal/v1/shipments`.
    pub async fn shipments_page(&self, query: &ListQuery) -> Reply {
        read(self.request(Method::GET, "/api/portal/v1/shipments").query(&query.params(None))).await
    }

    /// Every page of `GET /api/portal/v1/shipments`.
    pub async fn shipments(&self, query: &ListQuery) -> Vec<Value> {
        let url = self.url("/api/portal/v1/shipments");
        all_pages(|| self.client.get(&url), query).await
    }

    /// `GET /api/portal/v1/shipments/{id}`.
    pub async fn shipment(&self, id: &str) -> Reply {
        self.get(&format!("/api/portal/v1/shipments/{id}")).await
    }

    /// The session secret in this client's jar, if it holds one.
    pub fn session_cookie(&self) -> Option<String> {
        let url = Url::parse(&self.base_url).ok()?;
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_owned();
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned())
            .filter(|value| !value.is_empty())
    }

    /// Submits the first `method="post"` form of `page` (the answer to a
    /// GET of `page_url`) as a browser would: its hidden and pre-filled
    /// fields, with `fill` setting or replacing named fields.
    pub async fn submit_form(&self, page_url: &str, page: &Reply, fill: &[(&str, &str)]) -> Reply {
        let Some(form) = forms(&page.text).into_iter().find(|form| form.method.eq_ignore_ascii_case("post")) else {
            panic!("no post form on {page_url}: {}", page.text)
        };
        let base = match Url::parse(page_url) {
            Ok(base) => base,
            Err(error) => panic!("{page_url} is not a URL: {error}"),
        };
        let target = match form.action.as_deref().filter(|action| !action.is_empty()) {
            Some(action) => match base.join(action) {
                Ok(target) => target,
                Err(error) => panic!("form action {action} on {page_url}: {error}"),
            },
            None => base,
        };
        let mut fields = form.fields.clone();
        for (name, value) in fill {
            match fields.iter_mut().find(|(field, _)| field == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        read(self.client.post(target).form(&fields)).await
    }
}

impl TestApp {
    /// A new client with an empty cookie jar.
    pub fn portal_client(&self) -> PortalClient {
        PortalClient::new(&self.base_url)
    }

    /// A new client signed in as `login`; panics unless sign-in succeeds.
    pub async fn signed_in(&self, login: &str, password: &str) -> PortalClient {
        let client = self.portal_client();
        let reply = client.sign_in(login, password).await;
        assert_eq!(reply.status, StatusCode::OK, "sign-in of {login}: {}", reply.text);
        assert!(client.session_cookie().is_some(), "sign-in of {login} set no {SESSION_COOKIE} cookie");
        client
    }
}
