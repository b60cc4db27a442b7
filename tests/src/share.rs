//! Share links from both sides. Staff make, read, revoke and regenerate
//! them through the staff API; a [`LinkVisitor`] is one person's browser,
//! with its own cookies, that opens `/t/{token}`, asks for a code, enters
//! it and reads `/share/{link_id}` by submitting the pages' own forms
//! (CSRF fields included). It follows no redirect by itself, so tests see
//! each `303` and the cookie it sets.

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use crate::html::{HtmlForm, forms};
use crate::{Reply, TestApp, read};

/// The cookie that holds a viewer's session on one link.
pub const LINK_COOKIE: &str = "porthole_link";

/// A token in the shape of a real one that no link has.
pub const UNKNOWN_TOKEN: &str = "APbdqgUzd_ls6csZXXdCZ16cmwon5fq0kHmjJr3e5Ik";

/// A link as `POST /api/v1/share/links` or `…/regenerate` answered it: the
/// only time its URL is shown.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub id: String,
    /// `{public_url}/t/TOKEN`.
    pub url: String,
    /// `/t/TOKEN`.
    pub path: String,
    pub token: String,
    /// The whole answer.
    pub body: Value,
}

impl IssuedLink {
    /// Reads one link of an answer; panics unless it has an `id` and a
    /// `url` that is `{base_url}/t/TOKEN`.
    pub fn from_body(base_url: &str, body: &Value) -> IssuedLink {
        let Some(id) = body.get("id").and_then(Value::as_str) else { panic!("no link id in {body}") };
        let Some(url) = body.get("url").and_then(Value::as_str) else { panic!("no link url in {body}") };
        let Some(token) = url.strip_prefix(base_url).and_then(|path| path.strip_prefix("/t/")) else {
            panic!("the link url {url} is not {base_url}/t/TOKEN")
        };
        assert!(
            !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "the token of {url} is not a plain URL-safe token"
        );
        IssuedLink {
            id: id.to_owned(),
            url: url.to_owned(),
            path: format!("/t/{token}"),
            token: token.to_owned(),
            body: body.clone(),
        }
    }

    /// `/share/{link_id}`: where a viewer lands once in.
    pub fn share_path(&self) -> String {
        share_path(&self.id)
    }
}

pub fn share_path(link_id: &str) -> String {
    format!("/share/{link_id}")
}

/// A `POST /api/v1/share/links` body; tests add the fields they need.
pub fn share_link_body(shipment_id: &str, recipients: &[&str], require_verification: bool) -> Value {
    json!({ "shipment_id": shipment_id, "recipients": recipients, "require_verification": require_verification })
}

/// Asserts what every page that a token reaches must send: no referrer to
/// the next site and no copy in any cache.
pub fn assert_token_page_headers(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("referrer-policy"),
        Some("no-referrer"),
        "{what}: Referrer-Policy, got {:?}",
        reply.headers
    );
    assert_no_store(reply, what);
}

pub fn assert_no_store(reply: &Reply, what: &str) {
    assert!(
        reply.header("cache-control").is_some_and(|value| value.contains("no-store")),
        "{what}: Cache-Control no-store, got {:?}",
        reply.headers
    );
}

/// The `Set-Cookie` header that hands out a link session, if any.
pub fn link_cookie_set(reply: &Reply) -> Option<String> {
    reply
        .set_cookies()
        .into_iter()
        .find(|cookie| {
            cookie
                .split(';')
                .next()
                .and_then(|pair| pair.trim().split_once('='))
                .is_some_and(|(name, value)| name == LINK_COOKIE && !value.trim_matches('"').is_empty())
        })
        .map(str::to_owned)
}

/// The path a redirect leads to, however its `Location` is written.
pub fn redirect_path(base_url: &str, reply: &Reply) -> Option<String> {
    let location = reply.header("location")?;
    let base = Url::parse(base_url).ok()?;
    let target = base.join(location).ok()?;
    Some(target.path().to_owned())
}

impl TestApp {
    /// `POST /api/v1/share/links`; panics unless it answers 201. Returns
    /// once the mail to its recipients is out, so that mail never arrives
    /// in the middle of a later step.
    pub async fn create_share_link(&self, body: &Value) -> IssuedLink {
        let reply = self.post_json("/api/v1/share/links", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create share link {body}: {}", reply.text);
        self.settle_outbox().await;
        IssuedLink::from_body(&self.base_url, &reply.body)
    }

    /// `POST /api/v1/share/links/bulk`; panics unless it answers 201. Returns
    /// once the mail to their recipients is out.
    pub async fn create_share_links(&self, body: &Value) -> Vec<IssuedLink> {
        let reply = self.post_json("/api/v1/share/links/bulk", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create share links {body}: {}", reply.text);
        self.settle_outbox().await;
        let Some(links) = reply.body.get("links").and_then(Value::as_array) else {
            panic!("no links in {}", reply.text)
        };
        links.iter().map(|link| IssuedLink::from_body(&self.base_url, link)).collect()
    }

    /// `GET /api/v1/share/links/{id}`: the link with its access log.
    pub async fn share_link(&self, id: &str) -> Value {
        let reply = self.get(&format!("/api/v1/share/links/{id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "share link {id}: {}", reply.text);
        reply.body
    }

    /// The link's `status` as staff read it: active, revoked or expired.
    pub async fn share_link_status(&self, id: &str) -> String {
        let link = self.share_link(id).await;
        match link.get("status").and_then(Value::as_str) {
            Some(status) => status.to_owned(),
            None => panic!("no status in share link {id}: {link}"),
        }
    }

    /// `GET /api/v1/shipments/{id}/share-links`: the shipment's links.
    pub async fn share_links_of(&self, shipment_id: &str) -> Vec<Value> {
        let reply = self.get(&format!("/api/v1/shipments/{shipment_id}/share-links")).await;
        assert_eq!(reply.status, StatusCode::OK, "share links of {shipment_id}: {}", reply.text);
        match reply.body.get("links").and_then(Value::as_array) {
            Some(links) => links.clone(),
            None => panic!("no links in {}", reply.text),
        }
    }

    /// `DELETE /api/v1/share/links/{id}`; panics unless it answers 204.
    pub async fn revoke_share_link(&self, id: &str) {
        let reply = self.delete(&format!("/api/v1/share/links/{id}")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "revoke share link {id}: {}", reply.text);
    }

    /// `POST /api/v1/share/links/{id}/regenerate`; panics unless it
    /// answers 200 with the new URL.
    pub async fn regenerate_share_link(&self, id: &str) -> IssuedLink {
        let reply = self.post_empty(&format!("/api/v1/share/links/{id}/regenerate")).await;
        assert_eq!(reply.status, StatusCode::OK, "regenerate share link {id}: {}", reply.text);
        IssuedLink::from_body(&self.base_url, &reply.body)
    }

    /// A new visitor with an empty cookie jar.
    pub fn link_visitor(&self) -> LinkVisitor {
        LinkVisitor::new(&self.base_url)
    }

    /// A visitor who got in: through the code sent to `email` where the
    /// link asks for it, else by opening the link. Panics unless the share
    /// page answers 200.
    pub async fn visitor_in(&self, link: &IssuedLink, email: Option<&str>) -> LinkVisitor {
        let mut visitor = self.link_visitor();
        let page = match email {
            Some(email) => visitor.verify(self, link, email).await,
            None => {
                let opened = visitor.open(link).await;
                assert_eq!(opened.status, StatusCode::SEE_OTHER, "open {}: {}", link.path, opened.text);
                visitor.follow(&opened).await
            }
        };
        assert_eq!(page.status, StatusCode::OK, "the share page of {}: {}", link.id, page.text);
        visitor
    }
}

/// One person's browser on share links: its own cookies, the last page it
/// was shown, and the forms on that page.
pub struct LinkVisitor {
    base_url: String,
    client: reqwest::Client,
    jar: Arc<Jar>,
    /// The last answer and the address it came from.
    page: Option<(Url, Reply)>,
}

impl std::fmt::Debug for LinkVisitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkVisitor").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl LinkVisitor {
    pub fn new(base_url: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let built = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build();
        let client = match built {
            Ok(client) => client,
            Err(error) => panic!("cannot build an HTTP client: {error}"),
        };
        Self { base_url: base_url.to_owned(), client, jar, page: None }
    }

    fn absolute(&self, path_or_url: &str) -> Url {
        let joined = Url::parse(&self.base_url).and_then(|base| base.join(path_or_url));
        match joined {
            Ok(url) => url,
            Err(error) => panic!("{path_or_url} is not a path on {}: {error}", self.base_url),
        }
    }

    /// A GET with this visitor's cookies; a redirect is answered, not
    /// followed. The answer becomes the current page.
    pub async fn get(&mut self, path: &str) -> Reply {
        let url = self.absolute(path);
        let reply = read(self.client.get(url.clone())).await;
        self.page = Some((url, reply.clone()));
        reply
    }

    /// Opens the link's `/t/{token}`.
    pub async fn open(&mut self, link: &IssuedLink) -> Reply {
        self.get(&link.path).await
    }

    /// The share page of a link, with whatever cookie this visitor holds.
    pub async fn share_page(&mut self, link_id: &str) -> Reply {
        self.get(&share_path(link_id)).await
    }

    /// Follows a redirect; panics if `reply` is not one.
    pub async fn follow(&mut self, reply: &Reply) -> Reply {
        assert!(reply.status.is_redirection(), "not a redirect: {} {}", reply.status, reply.text);
        let Some(location) = reply.header("location").map(str::to_owned) else {
            panic!("a redirect without Location: {:?}", reply.headers)
        };
        self.get(&location).await
    }

    /// The current page: the last answer this visitor got.
    pub fn page(&self) -> Option<&Reply> {
        self.page.as_ref().map(|(_, reply)| reply)
    }

    /// The form that asks for an e-mail address (and no code) on the
    /// current page, and where it posts to.
    pub fn email_form(&self) -> (Url, HtmlForm) {
        self.post_form(|form| form.field("email").is_some() && form.field("code").is_none(), "e-mail")
    }

    /// The form that takes the code on the current page, and where it posts
    /// to.
    pub fn code_form(&self) -> (Url, HtmlForm) {
        self.post_form(|form| form.field("code").is_some(), "code")
    }

    fn post_form(&self, wanted: impl Fn(&HtmlForm) -> bool, what: &str) -> (Url, HtmlForm) {
        let Some((page_url, page)) = &self.page else { panic!("no page is open to find the {what} form on") };
        let found = forms(&page.text).into_iter().find(|form| form.method.eq_ignore_ascii_case("post") && wanted(form));
        let Some(form) = found else { panic!("no {what} form on {page_url} ({}): {}", page.status, page.text) };
        let target = match form.action.as_deref().filter(|action| !action.is_empty()) {
            Some(action) => match page_url.join(action) {
                Ok(target) => target,
                Err(error) => panic!("form action {action} on {page_url}: {error}"),
            },
            None => page_url.clone(),
        };
        (target, form)
    }

    /// Posts `fields` as a form to `target` with this visitor's cookies; the
    /// answer becomes the current page.
    pub async fn post_form_to(&mut self, target: Url, fields: &[(String, String)]) -> Reply {
        let reply = read(self.client.post(target.clone()).form(fields)).await;
        self.page = Some((target, reply.clone()));
        reply
    }

    /// Fills and submits the e-mail form of the current page.
    pub async fn request_code(&mut self, email: &str) -> Reply {
        let (target, form) = self.email_form();
        self.post_form_to(target, &filled(&form, &[("email", email)])).await
    }

    /// Fills and submits the code form of the current page.
    pub async fn enter_code(&mut self, email: &str, code: &str) -> Reply {
        let (target, form) = self.code_form();
        self.post_form_to(target, &filled(&form, &[("email", email), ("code", code)])).await
    }

    /// Opens the link, asks for a code for `email` and reads it from the
    /// mail the server wrote; the code form is then the current page.
    pub async fn ask_code(&mut self, app: &TestApp, link: &IssuedLink, email: &str) -> String {
        let mut watch = app.watch_mail();
        let opened = self.open(link).await;
        assert_eq!(opened.status, StatusCode::OK, "open {} for a code: {}", link.path, opened.text);
        let asked = self.request_code(email).await;
        assert_eq!(asked.status, StatusCode::OK, "ask a code for {email}: {}", asked.text);
        // The outbox may deliver the link's own mail to this recipient
        // meanwhile; the code is in the mail that holds one.
        for _ in 0..3 {
            if let Some(code) = watch.next_to(email).await.six_digit_code() {
                return code;
            }
        }
        panic!("no mail with a 6-digit code to {email}")
    }

    /// Gets in through verification: asks for a code for `email`, enters
    /// it, checks the redirect to the share page and its cookie, and
    /// follows it. Returns the share page.
    pub async fn verify(&mut self, app: &TestApp, link: &IssuedLink, email: &str) -> Reply {
        let code = self.ask_code(app, link, email).await;
        let entered = self.enter_code(email, &code).await;
        assert_eq!(entered.status, StatusCode::SEE_OTHER, "the right code for {email}: {}", entered.text);
        assert_eq!(redirect_path(&self.base_url, &entered), Some(link.share_path()), "{:?}", entered.headers);
        assert!(
            link_cookie_set(&entered).is_some(),
            "the right code set no {LINK_COOKIE} cookie: {:?}",
            entered.headers
        );
        self.follow(&entered).await
    }

    /// The link-session cookie this visitor would send to the link's share
    /// page, if any.
    pub fn link_cookie(&self, link_id: &str) -> Option<String> {
        let url = self.absolute(&share_path(link_id));
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_owned();
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LINK_COOKIE)
            .map(|(_, value)| value.to_owned())
            .filter(|value| !value.is_empty())
    }
}

/// A form's fields with `fill` setting or adding named fields.
pub fn filled(form: &HtmlForm, fill: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = form.fields.clone();
    for (name, value) in fill {
        match fields.iter_mut().find(|(field, _)| field == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}
