//! The `porthole` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use porthole_domain::StaffRole;

/// Porthole: a self-hosted shipment-visibility portal for freight
/// forwarders and their customers.
#[derive(Debug, Parser)]
#[command(
    name = "porthole",
    version,
    after_help = "Configuration: built-in defaults (config/default.toml), then --config FILE, then \
                  environment variables such as PORTHOLE__DATABASE__URL or PORTHOLE__HTTP__BIND."
)]
pub struct Cli {
    /// A TOML file whose keys override the built-in defaults; environment
    /// variables PORTHOLE__SECTION__KEY override both.
    #[arg(long, global = true, value_name = "FILE", env = "PORTHOLE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API, its OpenAPI document and the portal pages.
    ///
    /// Applies pending database migrations first unless
    /// database.auto_migrate is false. Stops gracefully on Ctrl-C or SIGTERM.
    Serve,

    /// Apply pending database migrations, then exit.
    Migrate,

    /// Seed the demo scenario into the configured database, print how to
    /// sign in, then serve it exactly like `serve`.
    ///
    /// The scenario: Saigon Tech Export's sea shipment SHP/202505/00080 from
    /// Cat Lai to Long Beach, in transit, next to a second customer, a
    /// consignee, a shipper and an overseas agent, each with a portal login.
    /// Seeding happens once: when the demo data is already there, it is left
    /// as it is and the logins are printed again.
    Demo {
        /// Seed the demo data and print the logins, then exit instead of
        /// serving.
        #[arg(long)]
        seed_only: bool,
    },

    /// Audit the data for mistakes that would show customers the wrong
    /// shipments.
    #[command(subcommand)]
    Check(CheckCommand),

    /// Manage the API keys staff and integrations (TMS, ERP) call the API
    /// with.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),

    /// See and resend notification mail: what is pending, sent, skipped or
    /// failed.
    ///
    /// `porthole serve` sends mail by itself; these commands are for
    /// looking into it and for retrying mail that failed for good (after
    /// notifications.max_attempts tries).
    #[command(subcommand)]
    Outbox(OutboxCommand),
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Show how many mails stand in each state, and the newest mails.
    List {
        /// Only mails in this state.
        #[arg(long, value_enum)]
        status: Option<OutboxStatusArg>,

        /// How many mails to show, newest first.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,

        /// Print JSON on stdout, for scripts and monitoring.
        #[arg(long)]
        json: bool,
    },

    /// Queue failed mails again, with fresh attempts; the worker in
    /// `porthole serve` sends them on its next pass.
    Retry {
        /// Ids of failed mails, as `outbox list` shows them.
        #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
        ids: Vec<i64>,

        /// Every failed mail.
        #[arg(long)]
        all_failed: bool,
    },

    /// Send everything that is due now and exit, without serving: for a
    /// host where `serve` runs with notifications.worker = false.
    Send,

    /// Drop the shipment changes still waiting to become mail, so that
    /// history just loaded in bulk (an import of past shipments and
    /// events) mails nobody. Mail already queued is left alone.
    DiscardChanges,
}

/// The states of a queued mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum OutboxStatusArg {
    Pending,
    Sent,
    Failed,
    Skipped,
}

impl From<OutboxStatusArg> for porthole_app::ports::OutboxStatus {
    fn from(status: OutboxStatusArg) -> Self {
        match status {
            OutboxStatusArg::Pending => Self::Pending,
            OutboxStatusArg::Sent => Self::Sent,
            OutboxStatusArg::Failed => Self::Failed,
            OutboxStatusArg::Skipped => Self::Skipped,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print it once, as the last line of output.
    ///
    /// Only the key's SHA-256 is stored: keep the printed key, it cannot be
    /// shown again. Send it as `Authorization: Bearer KEY`.
    Create {
        /// Who or what uses the key, e.g. "tms-integration" or "Linh (ops)".
        #[arg(long)]
        name: String,

        /// The staff role the key acts with; only managers may manage
        /// tracking users.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Check that every tracking user is served exactly the shipments the
    /// visibility rule gives them, no more and no fewer.
    ///
    /// Re-derives each active user's visible set from the rule and compares
    /// it with what the portal serves them. Also lists links worth a second
    /// look, such as a user tied to an organization with a near-duplicate
    /// name. Exits with 1 if any user's shipments differ from the rule;
    /// findings alone are warnings and exit with 0. Progress goes to stderr.
    Isolation {
        /// Print the report as JSON on stdout, for scripts and monitoring.
        #[arg(long)]
        json: bool,
    },
}

/// The staff roles, spelled as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RoleArg {
    GeneralManager,
    OperationsManager,
    SalesManager,
    Operator,
}

impl From<RoleArg> for StaffRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::GeneralManager => StaffRole::GeneralManager,
            RoleArg::OperationsManager => StaffRole::OperationsManager,
            RoleArg::SalesManager => StaffRole::SalesManager,
            RoleArg::Operator => StaffRole::Operator,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn api_key_create_takes_the_api_role_names() {
        for role in StaffRole::ALL {
            let cli = Cli::try_parse_from(["porthole", "api-key", "create", "--name", "tms", "--role", role.as_str()])
                .expect("role name accepted");
            let Command::ApiKey(ApiKeyCommand::Create { role: parsed, .. }) = cli.command else {
                panic!("parsed as another command");
            };
            assert_eq!(StaffRole::from(parsed), role);
        }
        assert!(Cli::try_parse_from(["porthole", "api-key", "create", "--name", "x", "--role", "admin"]).is_err());
    }

    #[test]
    fn demo_and_check_isolation_take_their_flags() {
        let demo = Cli::try_parse_from(["porthole", "demo", "--seed-only"]).expect("parses");
        assert!(matches!(demo.command, Command::Demo { seed_only: true }));
        let check = Cli::try_parse_from(["porthole", "check", "isolation", "--json"]).expect("parses");
        assert!(matches!(check.command, Command::Check(CheckCommand::Isolation { json: true })));
    }

    #[test]
    fn outbox_commands_take_their_arguments() {
        let list =
            Cli::try_parse_from(["porthole", "outbox", "list", "--status", "failed", "--limit", "5"]).expect("parses");
        assert!(matches!(
            list.command,
            Command::Outbox(OutboxCommand::List { status: Some(OutboxStatusArg::Failed), limit: 5, json: false })
        ));
        let retry = Cli::try_parse_from(["porthole", "outbox", "retry", "3", "9"]).expect("parses");
        assert!(
            matches!(retry.command, Command::Outbox(OutboxCommand::Retry { ids, all_failed: false }) if ids == [3, 9])
        );
        assert!(Cli::try_parse_from(["porthole", "outbox", "retry"]).is_err(), "nothing to retry");
        assert!(Cli::try_parse_from(["porthole", "outbox", "retry", "3", "--all-failed"]).is_err());
        assert!(Cli::try_parse_from(["porthole", "outbox", "list", "--limit", "0"]).is_err());
    }

    #[test]
    fn config_is_accepted_after_the_subcommand_too() {
        let cli = Cli::try_parse_from(["porthole", "serve", "--config", "prod.toml"]).expect("parses");
        assert_eq!(cli.config, Some(PathBuf::from("prod.toml")));
    }
}
