//! The portal as a person uses it: headless Chromium, driven over
//! WebDriver by chromedriver, signs in on the login page, opens the
//! shipment list and the shipment's page; a share-link recipient opens a
//! verified link, enters the code from the mail and reads the shipment.
//! Screenshots of each go to `target/screenshots/`.
//!
//! Without Debian's `chromium` and `chromium-driver` the tests say so
//! loudly and pass, unless `PORTHOLE_REQUIRE_BROWSER=1` (as in CI), when
//! a missing browser fails them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use porthole_domain::{EventCode, Status};
use porthole_e2e::TestApp;
use porthole_e2e::share::{IssuedLink, share_link_body};
use porthole_e2e::staff::{shipment_body, tracking_user_body};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const REQUIRE_BROWSER_VAR: &str = "PORTHOLE_REQUIRE_BROWSER";
/// How long the browser may take to start or to reach a page.
const BROWSER_DEADLINE: Duration = Duration::from_secs(60);

const REFERENCE: &str = "SHP/202505/00080";
const LOGIN: &str = "anh.nguyen";
const PASSWORD: &str = "harbour-lights-42";
/// Shown only in the timeline, under its published event.
const GATE_IN_REMARK: &str = "Full container gated in at the Cat Lai terminal";
const UNPUBLISHED_REMARK: &str = "Customs x-ray, staff only";
/// The one address the share link is for.
const RECIPIENT: &str = "logistics@pacificcoast.example";

/// A chromedriver this test started, in its own process group so that the
/// browsers it launched go with it.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start(log: &Path) -> Result<Chromedriver, String> {
        use std::os::unix::process::CommandExt;

        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free port for chromedriver: {e}"))?
            .port();
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {CHROMEDRIVER}: {e}"))?;
        Ok(Chromedriver { child, port })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until chromedriver reports it is ready for a session.
    async fn ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + BROWSER_DEADLINE;
        let status_url = format!("{}/status", self.url());
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("chromedriver exited at start: {exit}"));
            }
            if let Ok(response) = reqwest::get(&status_url).await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == true
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not become ready".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser it still runs.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/screenshots`, under `CARGO_TARGET_DIR` when it is set.
fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"),
    };
    target.join("screenshots")
}

fn capabilities(profile: &Path) -> Capabilities {
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--window-size=1280,1024".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = Capabilities::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".to_owned(), json!({ "binary": CHROMIUM, "args": args }));
    capabilities
}

/// The demo shipment, In Transit with its journey so far, and its
/// customer's user.
async fn seed(app: &TestApp) -> String {
    let customer = app.create_organization("STE", "Saigon Tech Export", true).await;
    let consignee = app.create_organization("PCI", "Pacific Coast Imports", true).await;
    let master = app.create_master("MAEU245019876", None).await;
    let mut body = shipment_body(REFERENCE, &customer);
    body["hbl_no"] = json!("STEHCM2505080");
    body["master_id"] = json!(master);
    body["consignee_id"] = json!(consignee);
    body["etd"] = json!("2025-05-10T18:00:00+07:00");
    body["eta"] = json!("2025-05-25T08:00:00-07:00");
    body["containers"] = json!([{ "number": "CSQU3054383", "iso_type": "45G1", "seal": "VN4471208" }]);
    body["customer_note"] = json!("Please arrange customs broker in Long Beach.");
    let shipment = app.upsert_shipment(&body).await;
    let at_cat_lai = json!({ "unlocode": "VNSGN", "name": "Cat Lai" });
    app.add_events(
        &shipment,
        json!([
            { "event_id": "conf", "event_type": "SHIPMENT", "event_code": "CONF", "classifier": "ACT",
              "event_time": "2025-05-02T09:00:00+07:00", "published": true },
            { "event_id": "gtin", "event_type": "EQUIPMENT", "event_code": "GTIN", "classifier": "ACT",
              "event_time": "2025-05-08T14:20:00+07:00", "location": at_cat_lai,
              "container_number": "CSQU3054383", "remark": GATE_IN_REMARK, "published": true },
            { "event_id": "insp", "event_type": "EQUIPMENT", "event_code": "INSP", "classifier": "ACT",
              "event_time": "2025-05-09T10:00:00+07:00", "location": at_cat_lai,
              "container_number": "CSQU3054383", "remark": UNPUBLISHED_REMARK, "published": false },
            { "event_id": "load", "event_type": "EQUIPMENT", "event_code": "LOAD", "classifier": "ACT",
              "event_time": "2025-05-10T16:45:00+07:00", "location": at_cat_lai,
              "container_number": "CSQU3054383", "vessel": "MAERSK ESSEN", "voyage": "519E", "published": true },
            { "event_id": "depa", "event_type": "TRANSPORT", "event_code": "DEPA", "classifier": "ACT",
              "event_time": "2025-05-10T21:30:00+07:00", "location": at_cat_lai,
              "vessel": "MAERSK ESSEN", "voyage": "519E", "published": true }
        ]),
    )
    .await;
    let user = tracking_user_body(LOGIN, "anh.nguyen@saigontech.example", "customer", &[&customer]);
    app.create_active_user(&user, PASSWORD).await;
    shipment
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

async fn wait_for_path(browser: &Client, path: &str) -> Result<(), String> {
    let deadline = Instant::now() + BROWSER_DEADLINE;
    loop {
        let url = browser.current_url().await.map_err(|e| format!("current url: {e}"))?;
        if url.path() == path {
            return Ok(());
        }
        if Instant::now() > deadline {
            let text = page_text(browser).await.unwrap_or_default();
            return Err(format!("still at {url} instead of {path}; the page says: {text}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn page_text(browser: &Client) -> Result<String, String> {
    let body = browser.find(Locator::Css("body")).await.map_err(|e| format!("no body: {e}"))?;
    body.text().await.map_err(|e| format!("body text: {e}"))
}

async fn screenshot(browser: &Client, name: &str) -> Result<PathBuf, String> {
    let png = browser.screenshot().await.map_err(|e| format!("screenshot: {e}"))?;
    ensure(png.starts_with(b"\x89PNG"), || format!("{name} is not a PNG"))?;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// What a person does: sign in with the form, find the shipment in the
/// list, open it and read it.
async fn walk_through(browser: &Client, app: &TestApp, shipment: &str) -> Result<(), String> {
    browser.goto(&app.url("/portal/login")).await.map_err(|e| format!("open the login page: {e}"))?;
    let login = browser
        .find(Locator::Css(
            "form input:not([type=hidden]):not([type=password]):not([type=submit]):not([type=checkbox])",
        ))
        .await
        .map_err(|e| format!("no login field on the login page: {e}"))?;
    login.send_keys(LOGIN).await.map_err(|e| format!("type the login: {e}"))?;
    let password =
        browser.find(Locator::Css("form input[type=password]")).await.map_err(|e| format!("no password field: {e}"))?;
    password.send_keys(PASSWORD).await.map_err(|e| format!("type the password: {e}"))?;
    let submit = browser
        .find(Locator::Css("form button[type=submit], form input[type=submit], form button"))
        .await
        .map_err(|e| format!("no submit button: {e}"))?;
    submit.click().await.map_err(|e| format!("submit the login form: {e}"))?;

    wait_for_path(browser, "/portal/shipments").await?;
    let list = page_text(browser).await?;
    ensure(list.contains(REFERENCE), || format!("the list does not show {REFERENCE}: {list}"))?;
    ensure(list.contains(Status::InTransit.label()), || format!("the list does not show the status: {list}"))?;
    let cookies = browser.execute("return document.cookie;", Vec::new()).await.map_err(|e| format!("script: {e}"))?;
    ensure(!cookies.as_str().unwrap_or_default().contains("porthole_session"), || {
        format!("scripts can read the session cookie: {cookies}")
    })?;
    screenshot(browser, "portal-list.png").await?;

    let link = browser
        .find(Locator::Css(&format!("a[href$='/portal/shipments/{shipment}']")))
        .await
        .map_err(|e| format!("no link to the shipment on the list: {e}"))?;
    link.click().await.map_err(|e| format!("open the shipment: {e}"))?;
    wait_for_path(browser, &format!("/portal/shipments/{shipment}")).await?;
    let detail = page_text(browser).await?;
    for expected in [
        REFERENCE,
        Status::InTransit.label(),
        "Cat Lai",
        "Long Beach",
        "CSQU3054383",
        EventCode::Gtin.label(),
        GATE_IN_REMARK,
        "MAERSK ESSEN",
        "Please arrange customs broker in Long Beach.",
    ] {
        ensure(detail.contains(expected), || format!("the shipment page does not show '{expected}': {detail}"))?;
    }
    ensure(!detail.contains(UNPUBLISHED_REMARK), || format!("the page shows an unpublished event: {detail}"))?;
    let path = screenshot(browser, "portal-detail.png").await?;
    println!("screenshots saved beside {}", path.display());
    Ok(())
}

/// A browser and the chromedriver that runs it, or `None` when the browser
/// is not installed and not required: the test then passes, loudly.
async fn browser() -> Option<(Chromedriver, Client, tempfile::TempDir)> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if !missing.is_empty() {
        let required = std::env::var(REQUIRE_BROWSER_VAR).is_ok_and(|v| v.trim() == "1");
        assert!(!required, "{REQUIRE_BROWSER_VAR}=1 but {missing:?} missing: apt-get install chromium chromium-driver");
        eprintln!(
            "\n************************************************************************\n\
             * BROWSER TEST SKIPPED: {missing:?} not installed.\n\
             * Install Debian's `chromium` and `chromium-driver` to run it;\n\
             * set {REQUIRE_BROWSER_VAR}=1 to make a missing browser fail.\n\
             ************************************************************************\n"
        );
        return None;
    }
    let scratch = match tempfile::Builder::new().prefix("porthole-browser-").tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("temporary directory: {error}"),
    };
    let profile = scratch.path().join("profile");
    let log = scratch.path().join("chromedriver.log");
    let mut driver = Chromedriver::start(&log).unwrap_or_else(|e| panic!("{e}"));
    if let Err(error) = driver.ready().await {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("{error}\n{log}");
    }
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    match ClientBuilder::new(connector).capabilities(capabilities(&profile)).connect(&driver.url()).await {
        Ok(browser) => Some((driver, browser, scratch)),
        Err(error) => {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("cannot start Chromium through chromedriver: {error}\n{log}");
        }
    }
}

/// Closes the browser, keeping a screenshot of where a failed walk ended.
async fn finish(browser: Client, driver: Chromedriver, outcome: Result<(), String>, failure_screenshot: &str) {
    if outcome.is_err() {
        let _ = screenshot(&browser, failure_screenshot).await;
    }
    let _ = browser.close().await;
    drop(driver);
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

#[tokio::test]
async fn a_customer_signs_in_and_reads_their_shipment_in_a_real_browser() {
    let Some((driver, browser, _scratch)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let shipment = seed(&app).await;
    let outcome = walk_through(&browser, &app, &shipment).await;
    finish(browser, driver, outcome, "portal-failure.png").await;
}

/// What a link recipient does: open the link from the mail, give their
/// address, copy the code from the next mail, and read the shipment.
async fn open_shared_link(browser: &Client, app: &TestApp, link: &IssuedLink) -> Result<(), String> {
    let mut watch = app.watch_mail();
    browser.goto(&link.url).await.map_err(|e| format!("open the share link: {e}"))?;
    let email = browser
        .find(Locator::Css("form input[name=email]:not([type=hidden])"))
        .await
        .map_err(|e| format!("no e-mail field on the link's page: {e}"))?;
    email.send_keys(RECIPIENT).await.map_err(|e| format!("type the address: {e}"))?;
    let send = browser
        .find(Locator::Css("form button[type=submit], form input[type=submit]"))
        .await
        .map_err(|e| format!("no button to ask for a code: {e}"))?;
    send.click().await.map_err(|e| format!("ask for a code: {e}"))?;

    let code_field = browser
        .wait()
        .at_most(BROWSER_DEADLINE)
        .for_element(Locator::Css("form input[name=code]"))
        .await
        .map_err(|e| format!("no code field after asking for a code: {e}"))?;
    let mail = watch.next_to(RECIPIENT).await;
    let code = mail.six_digit_code().ok_or_else(|| format!("no code in the mail: {}", mail.text))?;
    code_field.send_keys(&code).await.map_err(|e| format!("type the code: {e}"))?;
    let enter = browser
        .find(Locator::Css("form:has(input[name=code]) button[type=submit]"))
        .await
        .map_err(|e| format!("no button to enter the code: {e}"))?;
    enter.click().await.map_err(|e| format!("enter the code: {e}"))?;

    wait_for_path(browser, &link.share_path()).await?;
    let url = browser.current_url().await.map_err(|e| format!("current url: {e}"))?;
    ensure(!url.as_str().contains(&link.token), || format!("the token stays in the address bar: {url}"))?;
    let page = page_text(browser).await?;
    for expected in [REFERENCE, Status::InTransit.label(), "Cat Lai", "Long Beach", "CSQU3054383", GATE_IN_REMARK] {
        ensure(page.contains(expected), || format!("the shared page does not show '{expected}': {page}"))?;
    }
    ensure(!page.contains(UNPUBLISHED_REMARK), || format!("the shared page shows an unpublished event: {page}"))?;
    let cookies = browser.execute("return document.cookie;", Vec::new()).await.map_err(|e| format!("script: {e}"))?;
    ensure(!cookies.as_str().unwrap_or_default().contains("porthole_link"), || {
        format!("scripts can read the link session cookie: {cookies}")
    })?;
    let path = screenshot(browser, "share-link.png").await?;
    println!("screenshot saved as {}", path.display());
    Ok(())
}

#[tokio::test]
async fn a_recipient_opens_a_verified_share_link_in_a_real_browser() {
    let Some((driver, browser, _scratch)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let shipment = seed(&app).await;
    let mut body = share_link_body(&shipment, &[RECIPIENT], true);
    body["sections"] = json!({ "containers": true });
    let link = app.create_share_link(&body).await;
    let outcome = open_shared_link(&browser, &app, &link).await;
    finish(browser, driver, outcome, "share-link-failure.png").await;
}
