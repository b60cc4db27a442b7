//! End-to-end test harness: [`TestApp::spawn`] starts the real Porthole
//! server in-process on `127.0.0.1:0` over a fresh database and talks to it
//! over real HTTP.
//!
//! The database is a temporary SQLite file, or — when
//! `PORTHOLE_TEST_POSTGRES_URL` names a PostgreSQL server, e.g.
//! `postgres://postgres@127.0.0.1:5432/test` — a new database with a random
//! name on that server, dropped when the test ends.
//!
//! Mail goes to a folder of `.eml` files per test ([`mail`]); staff set-up
//! goes through the staff API with a manager's key ([`staff`]); tracking
//! users sign in through the portal API, each with their own cookie jar
//! ([`portal`]); share-link recipients open links, ask for and enter codes
//! through the pages' forms ([`share`]). The server's clock is a
//! [`TestClock`] the test moves forward.

pub mod clock;
pub mod html;
pub mod mail;
pub mod portal;
pub mod share;
pub mod staff;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Toml};
use porthole_app::ports::{IdSource, RandomIds};
use porthole_app::{CodeLimits, Porthole, SignInLimits};
use porthole_domain::StaffRole;
use porthole_server::Settings;
use porthole_server::settings::{DEFAULT_TOML, SecretUrl};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use crate::clock::TestClock;

/// Names the PostgreSQL server to test against; unset means SQLite.
pub const POSTGRES_URL_VAR: &str = "PORTHOLE_TEST_POSTGRES_URL";

/// A running server, its database, and a client holding a manager's API key.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub client: reqwest::Client,
    /// A general manager's key, made through the application layer.
    pub api_key: String,
    /// The application the server runs, for set-up the API does not offer.
    pub app: Porthole,
    /// Where the server writes every mail as an `.eml` file.
    pub mail_dir: std::path::PathBuf,
    /// The server's clock: starts at the real now, moves when advanced.
    pub clock: Arc<TestClock>,
    shutdown: Option<oneshot::Sender<()>>,
    database: TestDatabase,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base_url", &self.base_url)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    /// The body as JSON; `Value::Null` when it is not JSON.
    pub body: Value,
    pub text: String,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
}

impl Reply {
    /// Whether the body is a Porthole error (`{error, message, field}`)
    /// whose `field` is `field`.
    pub fn is_error_naming(&self, field: &str) -> bool {
        self.is_json_error() && self.body.get("field").and_then(Value::as_str) == Some(field)
    }

    /// Whether the body is `{ "error": CODE, "message": TEXT }`.
    pub fn is_json_error(&self) -> bool {
        self.body.get("error").is_some_and(Value::is_string) && self.body.get("message").is_some_and(Value::is_string)
    }

    /// The error code of a JSON error body.
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error").and_then(Value::as_str)
    }

    /// The first value of a response header, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every `Set-Cookie` header, as sent.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.get_all(reqwest::header::SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).collect()
    }
}

/// Sign-in limits so high that no test meets them by accident: every
/// request of a test comes from 127.0.0.1.
pub const GENEROUS_SIGN_IN_LIMITS: SignInLimits = SignInLimits {
    per_account_burst: 100_000,
    per_account_per_minute: 100_000,
    per_address_burst: 100_000,
    per_address_per_minute: 100_000,
};

/// Verification-code limits so high that no test meets them by accident.
pub const GENEROUS_CODE_LIMITS: CodeLimits = CodeLimits {
    per_link_burst: 100_000,
    per_link_per_minute: 100_000,
    per_address_burst: 100_000,
    per_address_per_minute: 100_000,
};

/// How a [`TestApp`] is configured before it starts.
#[derive(Debug, Clone)]
pub struct TestAppBuilder {
    sign_in_limits: SignInLimits,
    min_password_length: Option<usize>,
    code_limits: CodeLimits,
    delivery_grace_hours: Option<u64>,
    /// Extra `[notifications]` keys, as TOML lines.
    notifications: Vec<String>,
    /// `mail.smtp_url`; mail goes to files when unset.
    smtp_url: Option<String>,
}

impl Default for TestAppBuilder {
    fn default() -> Self {
        Self {
            sign_in_limits: GENEROUS_SIGN_IN_LIMITS,
            min_password_length: None,
            code_limits: GENEROUS_CODE_LIMITS,
            delivery_grace_hours: None,
            notifications: Vec::new(),
            smtp_url: None,
        }
    }
}

impl TestAppBuilder {
    /// Replaces the generous default sign-in limits, for rate-limit tests.
    pub fn sign_in_limits(mut self, limits: SignInLimits) -> Self {
        self.sign_in_limits = limits;
        self
    }

    /// Sets `portal.min_password_length`; the built-in default otherwise.
    pub fn min_password_length(mut self, length: usize) -> Self {
        self.min_password_length = Some(length);
        self
    }

    /// Replaces the generous default verification-code limits.
    pub fn code_limits(mut self, limits: CodeLimits) -> Self {
        self.code_limits = limits;
        self
    }

    /// Sets `share.delivery_grace_hours`; the built-in default otherwise.
    pub fn delivery_grace_hours(mut self, hours: u64) -> Self {
        self.delivery_grace_hours = Some(hours);
        self
    }

    /// Sets one `[notifications]` key, as TOML: `("coalesce_seconds", "60")`.
    /// Tests start with a worker polling every 100 ms and no coalescing
    /// window, so mail goes out at once.
    pub fn notifications(mut self, key: &str, value: &str) -> Self {
        self.notifications.push(format!("{key} = {value}"));
        self
    }

    /// Sends mail through the SMTP server at `url` instead of to files.
    pub fn smtp(mut self, url: &str) -> Self {
        self.smtp_url = Some(url.to_owned());
        self
    }

    /// Starts the server. Panics with the cause if it cannot: a test
    /// without its server has nothing to test.
    pub async fn spawn(self) -> TestApp {
        match TestApp::try_spawn(&self).await {
            Ok(app) => app,
            Err(error) => panic!("cannot start the test server: {}", porthole_server::one_line(&error)),
        }
    }

    /// The `[portal]` and `[share]` keys this builder sets, as TOML.
    fn toml(&self) -> String {
        let limits = &self.sign_in_limits;
        let mut toml = format!(
            "[portal]\n\
             sign_in_burst_per_account = {}\n\
             sign_in_per_minute_per_account = {}\n\
             sign_in_burst_per_address = {}\n\
             sign_in_per_minute_per_address = {}\n",
            limits.per_account_burst,
            limits.per_account_per_minute,
            limits.per_address_burst,
            limits.per_address_per_minute
        );
        if let Some(length) = self.min_password_length {
            toml.push_str(&format!("min_password_length = {length}\n"));
        }
        let codes = &self.code_limits;
        toml.push_str(&format!(
            "[share]\n\
             code_burst_per_link = {}\n\
             code_per_minute_per_link = {}\n\
             code_burst_per_address = {}\n\
             code_per_minute_per_address = {}\n",
            codes.per_link_burst, codes.per_link_per_minute, codes.per_address_burst, codes.per_address_per_minute
        ));
        if let Some(hours) = self.delivery_grace_hours {
            toml.push_str(&format!("delivery_grace_hours = {hours}\n"));
        }
        toml.push_str("[notifications]\n");
        for (key, default) in [("poll_interval_ms", "100"), ("coalesce_seconds", "0")] {
            if !self.notifications.iter().any(|line| line.starts_with(&format!("{key} ="))) {
                toml.push_str(&format!("{key} = {default}\n"));
            }
        }
        for line in &self.notifications {
            toml.push_str(line);
            toml.push('\n');
        }
        if let Some(url) = &self.smtp_url {
            toml.push_str(&format!("[mail]\ntransport = \"smtp\"\nsmtp_url = \"{url}\"\n"));
        }
        toml
    }

    /// The built-in settings with this builder's keys on top, exactly as an
    /// operator's configuration file would set them.
    fn settings(&self) -> anyhow::Result<Settings> {
        Settings::from_figment(Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(&self.toml())))
    }
}

impl TestApp {
    /// Starts a server over a fresh database, with generous sign-in limits.
    /// Panics with the cause if it cannot.
    pub async fn spawn() -> TestApp {
        TestAppBuilder::default().spawn().await
    }

    /// A server configured before it starts.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    async fn try_spawn(builder: &TestAppBuilder) -> anyhow::Result<TestApp> {
        let database = TestDatabase::create().await?;
        let listener = TcpListener::bind("127.0.0.1:0").await.context("bind 127.0.0.1:0")?;
        let address = listener.local_addr().context("local address")?;
        let base_url = format!("http://{address}");

        let mut settings = builder.settings()?;
        settings.database.url = SecretUrl::new(database.url());
        settings.database.auto_migrate = true;
        settings.http.bind = address;
        settings.http.public_url = base_url.clone();
        let mail_dir = database.scratch_dir().join("mail");
        settings.mail.dir = mail_dir.clone();

        let clock = Arc::new(TestClock::new());
        let built = porthole_server::build(&settings, clock.clone(), Arc::new(RandomIds)).await?;
        let created = built.app.create_api_key("e2e manager", StaffRole::GeneralManager).await?;

        let (shutdown, stop) = oneshot::channel::<()>();
        let app = built.app.clone();
        tokio::spawn(async move {
            let stopped = async {
                // A dropped sender stops the server as well.
                let _ = stop.await;
            };
            if let Err(error) = porthole_server::serve_on(listener, app, &settings, stopped).await {
                eprintln!("test server failed: {error:#}");
            }
        });

        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        Ok(TestApp {
            base_url,
            client,
            api_key: created.secret.expose().to_owned(),
            app: built.app,
            mail_dir,
            clock,
            shutdown: Some(shutdown),
            database,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request carrying the manager's API key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(&self.api_key)
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        read(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Reply {
        read(self.request(Method::PUT, path).json(body)).await
    }

    /// A POST without a body, such as `…/disable`.
    pub async fn post_empty(&self, path: &str) -> Reply {
        read(self.request(Method::POST, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        read(self.request(Method::DELETE, path)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Reply {
        read(self.request(Method::PATCH, path).json(body)).await
    }

    /// Sends `body` as is, declared as JSON: for malformed and empty bodies.
    pub async fn send_raw(&self, method: Method, path: &str, body: &str) -> Reply {
        let request = self.request(method, path).header(reqwest::header::CONTENT_TYPE, "application/json");
        read(request.body(body.to_owned())).await
    }

    /// A request without any API key.
    pub async fn get_anonymous(&self, path: &str) -> Reply {
        read(self.client.get(self.url(path))).await
    }

    /// Sends every mail that is due and waits until the outbox holds no
    /// due cause and no pending mail, whoever sends it (this test or the
    /// server's own worker). Panics after a generous deadline.
    pub async fn settle_outbox(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Err(error) = self.app.run_outbox_pass().await {
                panic!("outbox pass failed: {error}");
            }
            let counts = match self.app.outbox_overview(None, 1).await {
                Ok((counts, _)) => counts,
                Err(error) => panic!("cannot read the outbox: {error}"),
            };
            if counts.pending == 0 && counts.causes_waiting == 0 {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("the outbox did not settle: {counts:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.database.drop_best_effort();
    }
}

/// Sends a request and reads the whole answer. Panics when the request
/// cannot be sent at all: the server is gone.
pub async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = match response.text().await {
        Ok(text) => text,
        Err(error) => panic!("cannot read the response body: {error}"),
    };
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text, content_type, headers }
}

/// The database one test runs against.
#[derive(Debug)]
enum TestDatabase {
    Sqlite { dir: tempfile::TempDir },
    Postgres { dir: tempfile::TempDir, admin_url: String, name: String, url: String, dropped: bool },
}

impl TestDatabase {
    async fn create() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("porthole-e2e-").tempdir().context("temporary directory")?;
        let Some(admin_url) = std::env::var(POSTGRES_URL_VAR).ok().filter(|v| !v.trim().is_empty()) else {
            return Ok(TestDatabase::Sqlite { dir });
        };
        let name = fresh_database_name(&admin_url);
        let url = with_database(&admin_url, &name)
            .with_context(|| format!("{POSTGRES_URL_VAR} is not a postgres://HOST/DB URL"))?;
        let admin = Database::connect(admin_url.as_str())
            .await
            .with_context(|| format!("cannot connect to {POSTGRES_URL_VAR}"))?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.context("create test database")?;
        admin.close().await.context("close admin connection")?;
        Ok(TestDatabase::Postgres { dir, admin_url, name, url, dropped: false })
    }

    fn url(&self) -> String {
        match self {
            TestDatabase::Sqlite { dir } => format!("sqlite://{}?mode=rwc", dir.path().join("porthole.db").display()),
            TestDatabase::Postgres { url, .. } => url.clone(),
        }
    }

    fn scratch_dir(&self) -> &std::path::Path {
        match self {
            TestDatabase::Sqlite { dir } | TestDatabase::Postgres { dir, .. } => dir.path(),
        }
    }

    /// Drops a PostgreSQL test database, forcing off the server's pooled
    /// connections. Runs on its own thread and runtime because `Drop`
    /// cannot await; a failure only leaves a database behind.
    fn drop_best_effort(&mut self) {
        let TestDatabase::Postgres { admin_url, name, dropped, .. } = self else { return };
        if *dropped {
            return;
        }
        *dropped = true;
        let (admin_url, name) = (admin_url.clone(), name.clone());
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(error) = admin.execute_unprepared(&sql).await {
                        eprintln!("could not drop test database {name}: {error}");
                    }
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropping.join();
    }
}

/// `<admin database>_e2e_<random>`: named after the database the URL
/// points to, so a CI run can drop everything its tests left behind by
/// prefix.
fn fresh_database_name(admin_url: &str) -> String {
    let base: String = database_of(admin_url)
        .unwrap_or("porthole")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .take(40)
        .collect();
    let random = RandomIds.new_id("");
    format!("{base}_e2e_{}", &random[..12])
}

/// The database name in `postgres://user@host:port/DB?params`.
fn database_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let rest = rest.split(['?', '#']).next()?;
    let (_, path) = rest.split_once('/')?;
    Some(path).filter(|p| !p.is_empty())
}

/// `url` with its database name replaced by `database`, parameters kept.
fn with_database(url: &str, database: &str) -> Option<String> {
    let authority_start = url.find("://")? + 3;
    let (main, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = main[authority_start..].find('/').map_or(main.len(), |i| authority_start + i);
    Some(format!("{}/{database}{query}", &main[..authority_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_databases_are_named_after_the_given_one_and_swapped_into_its_url() {
        let admin = "postgres://postgres@127.0.0.1:5432/porthole_ci_ab12?sslmode=disable";
        assert_eq!(database_of(admin), Some("porthole_ci_ab12"));
        let name = fresh_database_name(admin);
        assert!(
            name.starts_with("porthole_ci_ab12_e2e_") && name.len() == "porthole_ci_ab12_e2e_".len() + 12,
            "{name}"
        );
        assert_eq!(with_database(admin, "x").as_deref(), Some("postgres://postgres@127.0.0.1:5432/x?sslmode=disable"));
        assert_eq!(with_database("postgres://h", "x").as_deref(), Some("postgres://h/x"));
        assert_eq!(database_of("postgres://h"), None);
        assert!(fresh_database_name("postgres://h").starts_with("porthole_e2e_"));
    }
}
