//! A `Porthole` on mocked ports, served through the real routes.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::test::{TestClient, TestRequestBuilder, TestResponse};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, EndpointExt, Request, RequestParts};
use porthole_app::ports::{
    ApiKey, MockApiKeyRepository, MockClock, MockCredentialRepository, MockHealthCheck, MockIdSource, MockMailer,
    MockMasterRepository, MockOrganizationRepository, MockOutboxRepository, MockShareLinkRepository,
    MockShipmentRepository, MockTrackingUserRepository,
};
use porthole_app::secret::SecretDigest;
use porthole_app::{AppSettings, Porthole, Ports};
use porthole_domain::StaffRole;
use porthole_http::{HttpSettings, TrustedProxies, routes};
use serde_json::Value;

/// An operator's API key: may manage shipments, not tracking users.
pub const KEY: &str = "ph_test_operator_key";

/// A general manager's API key: may do everything.
pub const MANAGER_KEY: &str = "ph_test_manager_key";

pub const PUBLIC_URL: &str = "https://track.example.com";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 12, 3, 0, 0).single().expect("a valid fixed time")
}

/// The ports, each a mock a test may add expectations to before serving.
/// A call nobody expected panics inside the mock, which the site turns
/// into a 500 and the test sees as a failure.
pub struct Mocks {
    pub organizations: MockOrganizationRepository,
    pub masters: MockMasterRepository,
    pub shipments: MockShipmentRepository,
    pub tracking_users: MockTrackingUserRepository,
    pub credentials: MockCredentialRepository,
    pub share_links: MockShareLinkRepository,
    pub outbox: MockOutboxRepository,
    pub mailer: MockMailer,
    pub api_keys: MockApiKeyRepository,
    pub health: MockHealthCheck,
    pub clock: MockClock,
    pub ids: MockIdSource,
}

impl Mocks {
    pub fn new() -> Self {
        let mut api_keys = MockApiKeyRepository::new();
        api_keys.expect_api_key_by_digest().returning(|digest| {
            let role = [(KEY, StaffRole::Operator), (MANAGER_KEY, StaffRole::GeneralManager)]
                .into_iter()
                .find(|(key, _)| *digest == SecretDigest::of(key))
                .map(|(_, role)| role);
            Ok(role.map(|role| ApiKey { id: format!("key_{role}"), name: role.to_string(), role, created_at: now() }))
        });
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Self {
            organizations: MockOrganizationRepository::new(),
            masters: MockMasterRepository::new(),
            shipments: MockShipmentRepository::new(),
            tracking_users: MockTrackingUserRepository::new(),
            credentials: MockCredentialRepository::new(),
            share_links: MockShareLinkRepository::new(),
            outbox: MockOutboxRepository::new(),
            mailer: MockMailer::new(),
            api_keys,
            health: MockHealthCheck::new(),
            clock,
            ids: MockIdSource::new(),
        }
    }

    pub fn serve(self) -> Client {
        self.serve_with(AppSettings::default())
    }

    pub fn serve_with(self, settings: AppSettings) -> Client {
        Client(TestClient::new(self.site(settings, TrustedProxies::default())))
    }

    /// The site as reached through a connection from `peer`, believing the
    /// `X-Forwarded-For` of the proxies in `trusted`.
    pub fn serve_from(self, peer: &str, trusted: &[&str], settings: AppSettings) -> Client {
        let peer: SocketAddr = peer.parse().expect("a socket address");
        let trusted = TrustedProxies::parse(trusted).expect("valid proxies");
        let site = self.site(settings, trusted);
        Client(TestClient::new(site.before(move |request| async move { Ok(arriving_from(peer, request)) }).boxed()))
    }

    fn site(self, settings: AppSettings, trusted_proxies: TrustedProxies) -> BoxEndpoint<'static> {
        let ports = Ports {
            organizations: Arc::new(self.organizations),
            masters: Arc::new(self.masters),
            shipments: Arc::new(self.shipments),
            tracking_users: Arc::new(self.tracking_users),
            credentials: Arc::new(self.credentials),
            share_links: Arc::new(self.share_links),
            outbox: Arc::new(self.outbox),
            mailer: Arc::new(self.mailer),
            api_keys: Arc::new(self.api_keys),
            health: Arc::new(self.health),
            clock: Arc::new(self.clock),
            ids: Arc::new(self.ids),
        };
        let app = Porthole::with_settings(ports, settings);
        routes(app, HttpSettings { public_url: format!("{PUBLIC_URL}/"), trusted_proxies })
    }
}

/// `request` as a listener hands it over from a connection with `peer`;
/// the test client's requests come from no address at all.
fn arriving_from(peer: SocketAddr, request: Request) -> Request {
    let (parts, body) = request.into_parts();
    let mut http = poem::http::Request::new(());
    *http.method_mut() = parts.method;
    *http.uri_mut() = parts.uri;
    *http.version_mut() = parts.version;
    *http.headers_mut() = parts.headers;
    *http.extensions_mut() = parts.extensions;
    let (http, ()) = http.into_parts();
    let parts = RequestParts::from((http, LocalAddr::default(), RemoteAddr(Addr::from(peer)), Scheme::HTTP));
    Request::from_parts(parts, body)
}

pub struct Client(pub TestClient<BoxEndpoint<'static>>);

impl Client {
    /// A request carrying the operator's key.
    pub fn staff(&self, method: poem::http::Method, uri: &str) -> TestRequestBuilder<'_, BoxEndpoint<'static>> {
        self.0.request(method, uri).header("Authorization", format!("Bearer {KEY}"))
    }

    /// A request carrying the general manager's key.
    pub fn manager(&self, method: poem::http::Method, uri: &str) -> TestRequestBuilder<'_, BoxEndpoint<'static>> {
        self.0.request(method, uri).header("Authorization", format!("Bearer {MANAGER_KEY}"))
    }

    /// A request from a browser holding the session cookie `secret`.
    pub fn signed_in(
        &self,
        method: poem::http::Method,
        uri: &str,
        secret: &str,
    ) -> TestRequestBuilder<'_, BoxEndpoint<'static>> {
        self.0.request(method, uri).header("Cookie", format!("porthole_session={secret}"))
    }
}

/// Status and JSON body of a response; panics (failing the test) if the
/// body is not JSON.
pub async fn json(response: poem::test::TestResponse) -> (StatusCode, Value) {
    let status = response.0.status();
    let content_type = response.0.content_type().map(str::to_owned);
    let text = response.0.into_body().into_string().await.expect("a readable body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("expected JSON ({content_type:?}), got {text:?}: {error}"));
    (status, value)
}

/// Asserts the error shape: status, `error` code, and `field` if given.
pub async fn assert_error(response: poem::test::TestResponse, status: u16, code: &str, field: Option<&str>) -> Value {
    let (actual, body) = json(response).await;
    assert_eq!(actual.as_u16(), status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {body}");
    assert_eq!(body.get("field").and_then(Value::as_str), field, "{body}");
    body
}

// ---- Pages ---------------------------------------------------------------------------

pub async fn body(response: TestResponse) -> String {
    response.0.into_body().into_string().await.expect("a readable body")
}

pub fn header(response: &TestResponse, name: &str) -> Option<String> {
    response.0.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

pub fn set_cookies(response: &TestResponse) -> Vec<String> {
    response.0.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
}

/// The hidden CSRF field's value in a page.
pub fn csrf_field(page: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// A page with its form tokens blanked, to compare two pages' bodies.
pub fn without_csrf_tokens(page: &str) -> String {
    match csrf_field(page) {
        Some(token) if !token.is_empty() => page.replace(&token, ""),
        _ => page.to_owned(),
    }
}

/// What a browser holds after opening a form page: the CSRF cookie (as a
/// `Cookie` header value) and the token in the form.
pub struct FormSession {
    pub cookie: String,
    pub token: String,
}

pub async fn open_form(client: &Client, path: &str) -> FormSession {
    let response = client.0.get(path).send().await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|cookie| cookie.contains("porthole_csrf="))
        .and_then(|cookie| cookie.split(';').next().map(str::to_owned))
        .expect("the page sets a CSRF cookie");
    let token = csrf_field(&body(response).await).expect("the page has a CSRF field");
    FormSession { cookie, token }
}
