//! `porthole check isolation`: the audit of every tracking user's visible
//! set, as operators read it (or scripts, with `--json`).

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use porthole_app::{AuditProgress, IsolationReport, Porthole};
use serde::Serialize;

/// Progress lines are for people watching a long audit, not a log: at most
/// one this often, plus the first of each phase.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

/// Runs the audit, prints its report on stdout, and fails when any user's
/// served set differs from the rule's.
pub async fn isolation(app: &Porthole, json: bool) -> anyhow::Result<()> {
    let progress = ProgressLine::default();
    let report = app
        .audit_isolation(&|step| progress.show(step))
        .await
        .context("cannot audit the tracking users' visible shipments")?;
    if json {
        let rendered = serde_json::to_string_pretty(&JsonReport::of(&report)).context("cannot render the report")?;
        println!("{rendered}");
    } else {
        print!("{}", render(&report));
    }
    verdict(&report)
}

/// Mismatches fail the check (exit status 1); findings alone do not.
fn verdict(report: &IsolationReport) -> anyhow::Result<()> {
    if report.is_clean() {
        return Ok(());
    }
    let users = report.mismatches.len();
    anyhow::bail!(
        "isolation check failed: {users} {} served shipments other than the visibility rule allows",
        if users == 1 { "user is" } else { "users are" }
    )
}

/// Prints progress on stderr, so stdout carries only the report.
#[derive(Debug, Default)]
struct ProgressLine {
    last: Mutex<Option<(Phase, Instant)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    LoadingShipments,
    CheckingUsers,
}

impl ProgressLine {
    fn show(&self, step: AuditProgress) {
        let (phase, line) = match step {
            AuditProgress::Shipments(count) => {
                (Phase::LoadingShipments, format!("Loaded {} shipments…", thousands(count)))
            }
            AuditProgress::Users(count) => (Phase::CheckingUsers, format!("Checked {} users…", thousands(count))),
        };
        // A poisoned lock only means an earlier progress line panicked;
        // skipping progress is harmless.
        let Ok(mut last) = self.last.lock() else { return };
        let due = match *last {
            Some((shown, at)) => shown != phase || at.elapsed() >= PROGRESS_INTERVAL,
            None => true,
        };
        if due {
            eprintln!("{line}");
            *last = Some((phase, Instant::now()));
        }
    }
}

/// The report as an operator reads it.
fn render(report: &IsolationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Isolation check");
    let _ = writeln!(out, "  tracking users  {} ({} active)", thousands(report.users), thousands(report.active_users));
    let _ = writeln!(out, "  shipments       {}", thousands(report.shipments));
    let _ = writeln!(out, "  visible pairs   {} (user and shipment the rule allows)", thousands(report.visible_pairs));
    let _ = writeln!(out, "  mismatches      {}", thousands(report.mismatches.len() as u64));

    if !report.mismatches.is_empty() {
        let _ = writeln!(out, "\nUsers served something other than what the rule allows:");
        for mismatch in &report.mismatches {
            let _ = writeln!(out, "  {} ({})", mismatch.user_id, mismatch.tracking_user_id);
            if !mismatch.served_not_allowed.is_empty() {
                let ids: Vec<String> = mismatch.served_not_allowed.iter().map(ToString::to_string).collect();
                let _ = writeln!(out, "    served but not allowed (a leak): {}", ids.join(", "));
            }
            if !mismatch.allowed_not_served.is_empty() {
                let ids: Vec<String> = mismatch.allowed_not_served.iter().map(ToString::to_string).collect();
                let _ = writeln!(out, "    allowed but not served: {}", ids.join(", "));
            }
        }
    }

    if !report.suspicious.is_empty() {
        let _ = writeln!(out, "\nLinks to review (warnings; they do not fail the check):");
        for link in &report.suspicious {
            let _ = writeln!(out, "  {} ({}): {}", link.user_id, link.tracking_user_id, link.finding);
        }
    }

    let verdict = if report.is_clean() {
        "Every active user is served exactly the shipments the visibility rule allows."
    } else {
        "FAILED: fix the users above before anyone else signs in."
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}

/// `12000` as `12,000`.
fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[derive(Debug, Serialize)]
struct JsonReport {
    clean: bool,
    users: u64,
    active_users: u64,
    shipments: u64,
    visible_pairs: u64,
    mismatches: Vec<JsonMismatch>,
    suspicious: Vec<JsonFinding>,
}

#[derive(Debug, Serialize)]
struct JsonMismatch {
    tracking_user_id: String,
    user_id: String,
    served_not_allowed: Vec<String>,
    allowed_not_served: Vec<String>,
}

#[derive(Debug, Serialize)]
struct JsonFinding {
    tracking_user_id: String,
    user_id: String,
    finding: String,
}

impl JsonReport {
    fn of(report: &IsolationReport) -> Self {
        let ids = |ids: &[porthole_domain::ShipmentId]| ids.iter().map(ToString::to_string).collect();
        Self {
            clean: report.is_clean(),
            users: report.users,
            active_users: report.active_users,
            shipments: report.shipments,
            visible_pairs: report.visible_pairs,
            mismatches: report
                .mismatches
                .iter()
                .map(|m| JsonMismatch {
                    tracking_user_id: m.tracking_user_id.clone(),
                    user_id: m.user_id.clone(),
                    served_not_allowed: ids(&m.served_not_allowed),
                    allowed_not_served: ids(&m.allowed_not_served),
                })
                .collect(),
            suspicious: report
                .suspicious
                .iter()
                .map(|s| JsonFinding {
                    tracking_user_id: s.tracking_user_id.clone(),
                    user_id: s.user_id.clone(),
                    finding: s.finding.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use porthole_app::{IsolationMismatch, SuspiciousLink};
    use porthole_domain::ShipmentId;

    use super::*;

    #[test]
    fn counts_are_grouped_in_thousands() {
        let cases = [(0, "0"), (999, "999"), (1_000, "1,000"), (12_000, "12,000"), (1_234_567, "1,234,567")];
        for (count, expected) in cases {
            assert_eq!(thousands(count), expected);
        }
    }

    #[test]
    fn a_mismatch_names_the_user_and_both_kinds_of_difference() {
        let report = IsolationReport {
            users: 3,
            active_users: 2,
            shipments: 5,
            visible_pairs: 4,
            mismatches: vec![IsolationMismatch {
                tracking_user_id: "tu_1".into(),
                user_id: "saigontech".into(),
                served_not_allowed: vec![ShipmentId::new("shp_leak")],
                allowed_not_served: vec![ShipmentId::new("shp_missing")],
            }],
            suspicious: vec![SuspiciousLink {
                tracking_user_id: "tu_2".into(),
                user_id: "lbagent".into(),
                finding: "overseas agent with an empty customer list: sees nothing".into(),
            }],
        };
        let text = render(&report);
        assert!(text.contains("saigontech (tu_1)"), "{text}");
        assert!(text.contains("served but not allowed (a leak): shp_leak"), "{text}");
        assert!(text.contains("allowed but not served: shp_missing"), "{text}");
        assert!(text.contains("lbagent (tu_2): overseas agent"), "{text}");
        assert!(text.contains("FAILED"), "{text}");
        let failure = verdict(&report).expect_err("a mismatch fails the check");
        assert!(failure.to_string().contains("1 user is served shipments other than"), "{failure}");

        let json = serde_json::to_value(JsonReport::of(&report)).expect("serializes");
        assert_eq!(json["clean"], false);
        assert_eq!(json["mismatches"][0]["served_not_allowed"][0], "shp_leak");
        assert_eq!(json["suspicious"][0]["user_id"], "lbagent");
    }

    #[test]
    fn a_clean_report_says_so() {
        let text = render(&IsolationReport { users: 1, active_users: 1, shipments: 1, ..IsolationReport::default() });
        assert!(text.contains("mismatches      0"), "{text}");
        assert!(text.contains("exactly the shipments"), "{text}");
        assert!(!text.contains("review"), "{text}");
    }

    #[test]
    fn findings_alone_do_not_fail_the_check() {
        let report = IsolationReport {
            suspicious: vec![SuspiciousLink {
                tracking_user_id: "tu_1".into(),
                user_id: "saigontech".into(),
                finding: "linked to a look-alike".into(),
            }],
            ..IsolationReport::default()
        };
        assert!(verdict(&report).is_ok());
        assert!(render(&report).contains("do not fail the check"));
    }
}
