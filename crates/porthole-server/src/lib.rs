//! The `porthole` binary's library half: configuration, command line and
//! wiring. It builds the store, hands its ports to the application, and
//! serves the HTTP adapter; `demo` seeds the demo scenario through the
//! use-cases and `check isolation` reports the visibility audit. The
//! end-to-end tests start the same server through [`build`] and
//! [`serve_on`].

mod check;
pub mod cli;
mod demo;
pub mod outbox;
pub mod settings;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::Server;
use poem::endpoint::BoxEndpoint;
use poem::listener::TcpAcceptor;
use porthole_app::Porthole;
use porthole_app::ports::{Clock, IdSource, Mailer, RandomIds, SystemClock};
use porthole_http::HttpSettings;
use porthole_store::Store;
use tokio::net::TcpListener;

use crate::cli::{ApiKeyCommand, CheckCommand, Cli, Command};
pub use crate::settings::Settings;
use crate::settings::{DatabaseSettings, MailSettings, MailTransport};

/// How long in-flight requests may take to finish once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The application wired to its store.
#[derive(Debug, Clone)]
pub struct Built {
    pub app: Porthole,
    pub store: Store,
}

/// Runs one parsed command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings.log.filter)?;
    match cli.command {
        Command::Serve => serve(&settings).await,
        Command::Migrate => {
            let store = open_store(&settings.database).await?;
            migrate(&store, &settings.database).await?;
            println!("The database at {} is up to date.", settings.database.url);
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create { name, role }) => {
            let built = build(&settings, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
            let created = built.app.create_api_key(&name, role.into()).await.context("cannot create the API key")?;
            println!("Created API key '{}' ({}) with role {}.", created.key.name, created.key.id, created.key.role);
            println!("Send it as `Authorization: Bearer KEY`. It is shown only now: Porthole keeps only its SHA-256.");
            println!("{}", created.secret.expose());
            Ok(())
        }
        Command::Demo { seed_only } => {
            let built = build(&settings, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
            let seeding = demo::ensure_seeded(&built, &settings).await?;
            // The seeded events are history: nobody is mailed about them.
            // The seeding's own mail (the invited user's setup link, the
            // share link to its recipient) is in the folder before the
            // welcome points there.
            built.app.discard_waiting_changes().await.context("cannot clear the seeded changes")?;
            outbox::send_due(&built.app).await?;
            demo::print_welcome(&settings, &seeding);
            if seed_only {
                return Ok(());
            }
            println!();
            serve_built(&settings, built).await
        }
        Command::Outbox(command) => {
            let built = build(&settings, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
            outbox::command(&built.app, command).await
        }
        Command::Check(CheckCommand::Isolation { json }) => {
            let built = build(&settings, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
            check::isolation(&built.app, json).await
        }
    }
}

/// An error and its causes on one line, as `porthole` prints it at exit:
/// "cannot open database sqlite://…: unable to open database file". A cause
/// whose text its parent already repeats is left out.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|parent| parent.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ").replace('\n', "; ")
}

/// Logs go to stderr, so that what commands print on stdout (an API key)
/// stays clean for scripts. `RUST_LOG` wins over `log.filter`.
pub fn init_logging(filter: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.trim().is_empty() => {
            EnvFilter::try_new(&from_env).with_context(|| format!("RUST_LOG '{from_env}' is not a tracing filter"))?
        }
        _ => EnvFilter::try_new(filter).with_context(|| format!("log.filter '{filter}' is not a tracing filter"))?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal, not in journald or log files.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// Connects to `database.url`; the error names the URL, never its password.
pub async fn open_store(database: &DatabaseSettings) -> anyhow::Result<Store> {
    Store::connect(database.url.expose()).await.with_context(|| format!("cannot open database {}", database.url))
}

pub async fn migrate(store: &Store, database: &DatabaseSettings) -> anyhow::Result<()> {
    store.migrate().await.with_context(|| format!("cannot migrate database {}", database.url))?;
    tracing::info!(database = %database.url, "database migrations applied");
    Ok(())
}

/// Opens the store (migrating it when `database.auto_migrate` is on) and
/// builds the application over it.
pub async fn build(settings: &Settings, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> anyhow::Result<Built> {
    let mailer = mailer(&settings.mail)?;
    let store = open_store(&settings.database).await?;
    if settings.database.auto_migrate {
        migrate(&store, &settings.database).await?;
    }
    let app = Porthole::with_settings(store.ports(clock, ids, mailer), settings.app_settings());
    Ok(Built { app, store })
}

/// The mailer `mail.transport` names.
fn mailer(mail: &MailSettings) -> anyhow::Result<Arc<dyn Mailer>> {
    match mail.transport {
        MailTransport::File => {
            let mailer = porthole_mail::FileMailer::new(&mail.dir, &mail.from)
                .with_context(|| format!("cannot set up the file mailer in {}", mail.dir.display()))?;
            Ok(Arc::new(mailer))
        }
        MailTransport::Smtp => {
            let server = mail.smtp_server()?;
            tracing::info!(%server, "mail goes out through SMTP");
            let mailer = porthole_mail::SmtpMailer::new(server, &mail.from).context("cannot set up the SMTP mailer")?;
            Ok(Arc::new(mailer))
        }
    }
}

/// Every route: the JSON API, the OpenAPI document, the pages.
pub fn endpoint(app: Porthole, settings: &Settings) -> BoxEndpoint<'static> {
    let http = HttpSettings {
        public_url: settings.http.public_url.clone(),
        trusted_proxies: settings.http.trusted_proxies.clone(),
    };
    porthole_http::routes(app, http)
}

/// Share-page views wait at most this long for the access log, unless
/// [`LINK_VIEW_BATCH`] of them fill a batch first. A crash loses at most
/// the views of the last interval.
pub const LINK_VIEW_FLUSH: Duration = Duration::from_millis(250);

/// Share-page views written to the access log in one transaction at most.
pub const LINK_VIEW_BATCH: usize = 500;

/// Serves `app` on an already bound listener until `shutdown` completes,
/// then lets in-flight requests finish. The outbox worker runs alongside
/// unless `notifications.worker` is off, and stops after the server; the
/// share-page views it holds back are written every [`LINK_VIEW_FLUSH`]
/// and once more after the last request.
pub async fn serve_on(
    listener: TcpListener,
    app: Porthole,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let acceptor = TcpAcceptor::from_tokio(listener).context("cannot use the listening socket")?;
    let worker = settings
        .notifications
        .worker
        .then(|| outbox::Worker::start(app.clone(), Duration::from_millis(settings.notifications.poll_interval_ms)));
    let (stop_views, views_stopped) = tokio::sync::watch::channel(false);
    let views = tokio::spawn(flush_link_views_every(app.clone(), LINK_VIEW_FLUSH, views_stopped));
    // The worker hears of the shutdown when the server does, so both wind
    // down together.
    let shutdown = async {
        shutdown.await;
        if let Some(worker) = &worker {
            worker.ask_to_stop();
        }
    };
    let served = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint(app.clone(), settings), shutdown, Some(SHUTDOWN_GRACE))
        .await
        .context("the HTTP server failed");
    // Stopped between flushes, never during one, so no taken batch is lost.
    let _ = stop_views.send(true);
    if let Err(error) = views.await {
        tracing::error!(%error, "the share-page view writer panicked");
    }
    match app.flush_link_views().await {
        Ok(0) => {}
        Ok(written) => tracing::info!(written, "share-page views written to the access log"),
        Err(error) => tracing::warn!(%error, "share-page views not written to the access log at shutdown"),
    }
    if let Some(worker) = worker {
        worker.stop().await;
    }
    served
}

/// Writes the share-page views `app` holds back, every `interval`, until
/// `stopped` turns true. A failed write is logged once per outage; the
/// views wait for the next.
async fn flush_link_views_every(app: Porthole, interval: Duration, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(interval) => {}
        }
        match app.flush_link_views().await {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("share-page views reach the access log again");
            }
            Ok(_) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "cannot write share-page views to the access log; they wait");
            }
            Err(_) => {}
        }
    }
}

/// `porthole serve`: build, bind `http.bind`, serve until Ctrl-C or SIGTERM.
pub async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let built = build(settings, Arc::new(SystemClock), Arc::new(RandomIds)).await?;
    serve_built(settings, built).await
}

/// Binds `http.bind` and serves until Ctrl-C or SIGTERM.
async fn serve_built(settings: &Settings, built: Built) -> anyhow::Result<()> {
    // Listen for the signals before announcing the address: a SIGTERM sent
    // the moment the server says it is up must stop it gracefully, not
    // kill it with the default action.
    let shutdown = shutdown_signal();
    let bind = settings.http.bind;
    let listener = TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener.local_addr().with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(
        %address,
        public_url = %settings.http.public_url,
        backend = ?built.store.backend(),
        database = %settings.database.url,
        "porthole is listening on http://{address}"
    );
    serve_on(listener, built.app, settings, shutdown).await?;
    tracing::info!("porthole stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM (what `docker stop` and systemd send).
///
/// The handlers are installed when this is called, not when the future is
/// first polled, so a signal that arrives in between is not lost.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
        Ok(stream) => Some(stream),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for {name}");
            None
        }
    };
    let interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
    let terminate = listen(SignalKind::terminate(), "SIGTERM");
    async move {
        let received = |stream: Option<tokio::signal::unix::Signal>| async move {
            match stream {
                Some(mut stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = received(interrupt) => tracing::info!("Ctrl-C received: finishing in-flight requests, then stopping"),
            () = received(terminate) => tracing::info!("SIGTERM received: finishing in-flight requests, then stopping"),
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C received: finishing in-flight requests, then stopping");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Repeating(std::io::Error);

    impl std::fmt::Display for Repeating {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot connect: {}", self.0)
        }
    }

    impl std::error::Error for Repeating {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn startup_errors_are_one_line_without_repeated_causes() {
        let cause = Repeating(std::io::Error::other("unable to open database file"));
        let error = anyhow::Error::new(cause).context("cannot open database sqlite://x.db");
        assert_eq!(
            one_line(&error),
            "cannot open database sqlite://x.db: cannot connect: unable to open database file"
        );
        assert_eq!(one_line(&anyhow::anyhow!("two\nlines")), "two; lines");
    }
}
