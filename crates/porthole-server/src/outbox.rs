//! The outbox worker that `serve` runs, and the `porthole outbox` commands.

use std::time::Duration;

use anyhow::Context;
use porthole_app::Porthole;
use porthole_app::ports::{MailContent, MailRecipient, OutboxCounts, OutboxMail, OutboxStatus};
use serde::Serialize;
use tokio::sync::watch;

use crate::cli::OutboxCommand;

/// How long a stopping server waits for the worker to record the mail it is
/// sending: longer than the SMTP adapter's limit on one mail (60 s), so a
/// mail in flight is recorded as sent rather than sent again later.
const STOP_GRACE: Duration = Duration::from_secs(65);

/// The outbox worker: one pass every `interval` until told to stop. A
/// failed pass (the database is away) is logged and tried again, and so is
/// a pass that panicked; the worker never exits on its own.
#[derive(Debug)]
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    pub fn start(app: Porthole, interval: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            tracing::info!(interval_ms = interval.as_millis() as u64, "outbox worker started");
            loop {
                let (app, flag) = (app.clone(), stopped.clone());
                // Its own task, so a panic in one pass is logged, not fatal.
                let pass = tokio::spawn(async move { app.run_outbox_pass_while(&|| !*flag.borrow()).await });
                match pass.await {
                    Ok(Ok(pass)) if pass.did_anything() => tracing::debug!(?pass, "outbox pass"),
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "outbox pass failed; trying again shortly"),
                    Err(error) => tracing::error!(%error, "outbox pass panicked; trying again shortly"),
                }
                if *stopped.borrow() {
                    break;
                }
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = tokio::time::sleep(interval) => {}
                }
            }
            tracing::info!("outbox worker stopped");
        });
        Self { stop, task }
    }

    /// Asks the worker to stop after the mail it is sending, if any.
    pub fn ask_to_stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops the worker: the current pass ends after the mail in flight,
    /// which is recorded.
    pub async fn stop(self) {
        self.ask_to_stop();
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            tracing::warn!(
                "the outbox worker did not stop in time; abandoning its pass (claimed mail is retried later)"
            );
            task.abort();
        }
    }
}

/// Runs one `porthole outbox …` command.
pub async fn command(app: &Porthole, command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List { status, limit, json } => {
            let (counts, mails) =
                app.outbox_overview(status.map(Into::into), limit).await.context("cannot read the outbox")?;
            let mut labelled = Vec::with_capacity(mails.len());
            for mail in mails {
                let to = recipient(app, &mail.recipient).await;
                labelled.push((mail, to));
            }
            if json {
                let report = JsonOutbox {
                    counts: counts.into(),
                    mails: labelled.iter().map(|(mail, to)| JsonMail::of(mail, to)).collect(),
                };
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_counts(&counts);
                print_mails(&labelled);
            }
            Ok(())
        }
        OutboxCommand::Retry { ids, all_failed } => {
            if all_failed {
                let retried = app.retry_failed_mails().await.context("cannot queue the failed mails again")?;
                println!("Queued {retried} failed mail(s) again; `porthole serve` sends them on its next pass.");
                return Ok(());
            }
            let mut refused = 0;
            for id in ids {
                match app.retry_outbox_mail(id).await {
                    Ok(true) => println!("Mail {id} queued again."),
                    Ok(false) => {
                        refused += 1;
                        eprintln!("Mail {id} is not failed; only failed mail can be retried.");
                    }
                    Err(porthole_app::AppError::NotFound) => {
                        refused += 1;
                        eprintln!("There is no mail {id}.");
                    }
                    Err(error) => return Err(error).context(format!("cannot queue mail {id} again")),
                }
            }
            if refused > 0 {
                anyhow::bail!("{refused} mail(s) not queued again");
            }
            Ok(())
        }
        OutboxCommand::DiscardChanges => {
            let dropped = app.discard_waiting_changes().await.context("cannot drop the waiting changes")?;
            println!("Dropped {dropped} waiting shipment change(s); nobody will be mailed about them.");
            Ok(())
        }
        OutboxCommand::Send => {
            let total = send_due(app).await?;
            println!(
                "Sent {} mail(s); {} skipped (recipient may no longer receive them), {} waiting for a retry, {} failed.",
                total.sent, total.skipped, total.retried, total.failed
            );
            Ok(())
        }
    }
}

/// Runs passes until one finds nothing due; returns what they did. A mail
/// that failed waits for its retry time, so this ends.
pub async fn send_due(app: &Porthole) -> anyhow::Result<porthole_app::OutboxPass> {
    let mut total = porthole_app::OutboxPass::default();
    loop {
        let pass = app.run_outbox_pass().await.context("cannot send the outbox")?;
        if !pass.did_anything() {
            return Ok(total);
        }
        total.dispatched += pass.dispatched;
        total.sent += pass.sent;
        total.skipped += pass.skipped;
        total.retried += pass.retried;
        total.failed += pass.failed;
        if pass.sent + pass.skipped + pass.failed + pass.dispatched == 0 {
            // Only retries are left, and they are not due yet.
            return Ok(total);
        }
    }
}

fn print_counts(counts: &OutboxCounts) {
    println!(
        "Outbox: {} pending, {} sent, {} skipped, {} failed; {} change(s) waiting to become mail.",
        counts.pending, counts.sent, counts.skipped, counts.failed, counts.causes_waiting
    );
    if counts.failed > 0 {
        println!("Retry failed mail with `porthole outbox retry --all-failed` once the cause is fixed.");
    }
}

fn print_mails(mails: &[(OutboxMail, String)]) {
    if mails.is_empty() {
        println!("No mail to show.");
        return;
    }
    println!();
    println!("{:>8}  {:<8}  {:<16}  {:<48}  {:>3}  {:<20}  DETAIL", "ID", "STATUS", "KIND", "TO", "TRY", "WHEN");
    for (mail, to) in mails {
        let when = match mail.status {
            OutboxStatus::Pending => format!("due {}", short_time(mail.next_attempt_at)),
            _ => mail.finished_at.map(short_time).unwrap_or_default(),
        };
        println!(
            "{:>8}  {:<8}  {:<16}  {:<48}  {:>3}  {:<20}  {}",
            mail.id,
            mail.status.as_str(),
            mail.content.kind(),
            truncate(to, 48),
            mail.attempts,
            when,
            detail(mail)
        );
    }
}

/// Who a mail is for, as an operator knows them: a tracking user's login
/// and address, or a share-link recipient's address.
async fn recipient(app: &Porthole, recipient: &MailRecipient) -> String {
    match recipient {
        MailRecipient::User(id) => match app.tracking_user(id).await {
            Ok(user) => format!("{} <{}>", user.user_id, user.email),
            Err(_) => format!("tracking user {id} (gone)"),
        },
        MailRecipient::LinkRecipient { link_id, email } => format!("{email} (link {link_id})"),
    }
}

fn detail(mail: &OutboxMail) -> String {
    let about = match &mail.content {
        MailContent::ShipmentUpdate { shipment_id, notices } => {
            format!("shipment {shipment_id}, {} notice(s)", notices.len())
        }
        MailContent::PeriodicReport { frequency, slot } => {
            format!("{} report of {}", frequency.as_str(), short_time(*slot))
        }
        MailContent::PasswordSetup | MailContent::LinkShared => String::new(),
    };
    match &mail.last_error {
        Some(error) if about.is_empty() => error.clone(),
        Some(error) => format!("{about}; {error}"),
        None => about,
    }
}

fn short_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct JsonOutbox {
    counts: JsonCounts,
    mails: Vec<JsonMail>,
}

#[derive(Serialize)]
struct JsonCounts {
    causes_waiting: u64,
    pending: u64,
    sent: u64,
    skipped: u64,
    failed: u64,
}

impl From<OutboxCounts> for JsonCounts {
    fn from(c: OutboxCounts) -> Self {
        Self {
            causes_waiting: c.causes_waiting,
            pending: c.pending,
            sent: c.sent,
            skipped: c.skipped,
            failed: c.failed,
        }
    }
}

#[derive(Serialize)]
struct JsonMail {
    id: i64,
    status: &'static str,
    kind: &'static str,
    to: String,
    attempts: u32,
    created_at: String,
    next_attempt_at: String,
    finished_at: Option<String>,
    last_error: Option<String>,
}

impl JsonMail {
    fn of(mail: &OutboxMail, to: &str) -> Self {
        Self {
            id: mail.id,
            status: mail.status.as_str(),
            kind: mail.content.kind(),
            to: to.to_owned(),
            attempts: mail.attempts,
            created_at: mail.created_at.to_rfc3339(),
            next_attempt_at: mail.next_attempt_at.to_rfc3339(),
            finished_at: mail.finished_at.map(|at| at.to_rfc3339()),
            last_error: mail.last_error.clone(),
        }
    }
}
