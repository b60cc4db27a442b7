//! `porthole demo`: the demo scenario of SPEC §7, seeded through the same
//! use-cases the API calls, so that what it shows is what real data does.
//!
//! Saigon Tech Export ships SHP/202505/00080 (sea FCL, Cat Lai to Long
//! Beach, in transit) on master bill MEDU9081726. Mekong Garments, a second
//! customer, has a house bill on the same master: the overseas agent sees
//! only Saigon Tech's, because only Saigon Tech is on its customer list. A
//! look-alike organization, "Saigon Tech Exports Co., Ltd", is a different
//! company, so linking users to Saigon Tech raises the near-duplicate
//! warning staff would see in the API. The consignee's logistics desk gets
//! a share link to SHP/202505/00080 that asks for a code sent by e-mail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use porthole_app::input::{
    CargoInput, ChargeInput, ContainerInput, DisplayInput, EventInput, LocationInput, MasterInput, NotificationsInput,
    OrganizationInput, PeriodicReportInput, ShipmentInput, TrackingUserInput,
};
use porthole_app::ports::{OrganizationRepository, ShipmentRepository, TrackingUserRepository};
use porthole_app::{ApiKeyCreated, Porthole, SectionsInput, ShareLinkOptions};
use porthole_domain::{LinkStatus, ShipmentId, ShipmentReference, StaffRole, UserId};

use crate::{Built, Settings};

/// Every demo login that is active uses this password.
pub const DEMO_PASSWORD: &str = "porthole-demo";

/// The share link's one recipient: the consignee's logistics desk, which has
/// no portal login of its own.
pub const SHARE_RECIPIENT: &str = "logistics@pacifichome.example";

/// What a run of `porthole demo` found or did.
#[derive(Debug)]
pub enum Seeding {
    /// Seeded now. The key and the share link's URL are shown this once.
    Fresh { api_key: ApiKeyCreated, showcase: ShipmentId, share_url: String },
    /// The demo data was there already and is left as it is.
    AlreadyThere { showcase: ShipmentId, live_share_links: usize },
}

struct DemoOrganization {
    code: &'static str,
    name: &'static str,
    /// Sell-side charges shown to the organization's customer-role users.
    show_charges: bool,
}

const SGTECH: DemoOrganization = DemoOrganization { code: "SGTECH", name: "Saigon Tech Export", show_charges: true };
const SGTECHX: DemoOrganization =
    DemoOrganization { code: "SGTECHX", name: "Saigon Tech Exports Co., Ltd", show_charges: false };
const MEKONG: DemoOrganization = DemoOrganization { code: "MEKONG", name: "Mekong Garments", show_charges: false };
const PACHOME: DemoOrganization =
    DemoOrganization { code: "PACHOME", name: "Pacific Home Goods Inc.", show_charges: false };
const BDFACT: DemoOrganization =
    DemoOrganization { code: "BDFACT", name: "Binh Duong Electronics Factory", show_charges: false };
const LBFP: DemoOrganization =
    DemoOrganization { code: "LBFP", name: "Long Beach Freight Partners", show_charges: false };

const ORGANIZATIONS: [&DemoOrganization; 6] = [&SGTECH, &SGTECHX, &MEKONG, &PACHOME, &BDFACT, &LBFP];

struct DemoUser {
    user_id: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    role: &'static str,
    organization: &'static DemoOrganization,
    agent_customers: &'static [&'static DemoOrganization],
    /// False: the user stays invited and gets the password-setup e-mail.
    has_password: bool,
    /// Shows the master bill number, which agents match against their own
    /// import files.
    mbl_number: bool,
    /// Which notification mails the user asked for: journey, ETA/ETD,
    /// documents, and a weekly report.
    mails: DemoMails,
    /// What the user sees in the portal, for the printed table.
    sees: &'static str,
}

/// Notification switches of a demo user.
#[derive(Clone, Copy)]
struct DemoMails {
    journey: bool,
    eta: bool,
    documents: bool,
    weekly_report: bool,
}

const ALL_MAILS: DemoMails = DemoMails { journey: true, eta: true, documents: true, weekly_report: true };
const NO_MAILS: DemoMails = DemoMails { journey: false, eta: false, documents: false, weekly_report: false };

impl DemoMails {
    fn input(self) -> NotificationsInput {
        NotificationsInput {
            journey_updated: Some(self.journey),
            eta_changed: Some(self.eta),
            document_status: Some(self.documents),
            periodic_report: Some(
                self.weekly_report.then(|| PeriodicReportInput { frequency: "weekly".into(), columns: None }),
            ),
        }
    }
}

const USERS: [DemoUser; 6] = [
    DemoUser {
        user_id: "saigontech",
        first_name: "Anh",
        last_name: "Nguyen",
        email: "anh.nguyen@saigontech.example",
        role: "customer",
        organization: &SGTECH,
        agent_customers: &[],
        has_password: true,
        mbl_number: false,
        mails: ALL_MAILS,
        sees: "00080 (In Transit) and 00081 (Confirmed), with sell charges; not the draft 00095, not Mekong's",
    },
    DemoUser {
        user_id: "mekong",
        first_name: "Minh",
        last_name: "Tran",
        email: "minh.tran@mekonggarments.example",
        role: "customer",
        organization: &MEKONG,
        agent_customers: &[],
        has_password: true,
        mbl_number: false,
        mails: ALL_MAILS,
        sees: "00090 and 00091; none of Saigon Tech's",
    },
    DemoUser {
        user_id: "pacifichome",
        first_name: "Jessica",
        last_name: "Park",
        email: "jessica.park@pacifichome.example",
        role: "consignee",
        organization: &PACHOME,
        agent_customers: &[],
        has_password: true,
        mbl_number: false,
        mails: DemoMails { eta: true, ..NO_MAILS },
        sees: "00080, as its consignee",
    },
    DemoUser {
        user_id: "bdfactory",
        first_name: "Hoa",
        last_name: "Le",
        email: "hoa.le@bdfactory.example",
        role: "shipper",
        organization: &BDFACT,
        agent_customers: &[],
        has_password: true,
        mbl_number: false,
        mails: NO_MAILS,
        sees: "00080, as its shipper",
    },
    DemoUser {
        user_id: "lbagent",
        first_name: "Daniel",
        last_name: "Ortiz",
        email: "daniel.ortiz@lbfreight.example",
        role: "overseas_agent",
        organization: &LBFP,
        agent_customers: &[&SGTECH],
        has_password: true,
        mbl_number: true,
        mails: DemoMails { journey: true, ..NO_MAILS },
        sees: "00080 only: Mekong's 00090 on the same master is not on its customer list",
    },
    DemoUser {
        user_id: LAST_SEEDED_USER,
        first_name: "Thu",
        last_name: "Pham",
        email: "thu.pham@saigontech.example",
        role: "customer",
        organization: &SGTECH,
        agent_customers: &[],
        has_password: false,
        mbl_number: false,
        mails: ALL_MAILS,
        sees: "nothing yet: invited, no password; her setup e-mail is in the mail folder",
    },
];

/// Seeded last of the users: when it exists, seeding got to the end.
const LAST_SEEDED_USER: &str = "thu.pham";

const MASTER_BILL: &str = "MEDU9081726";
const VESSEL: &str = "MSC AURORA";
const VOYAGE: &str = "FE519E";

/// Seeds the demo unless it is there already. Refuses a database holding
/// only part of it, rather than adding to it.
pub async fn ensure_seeded(built: &Built, settings: &Settings) -> anyhow::Result<Seeding> {
    let organizations = built.store.all_organizations().await.context("cannot look for the demo data")?;
    if organizations.iter().any(|org| org.code == SGTECH.code) {
        let last = UserId::parse(LAST_SEEDED_USER).context("the demo's last user id is invalid")?;
        if built.store.tracking_user_by_login(&last).await.context("cannot look for the demo data")?.is_some() {
            println!("The demo data is already in {}: nothing to seed.", settings.database.url);
            return already_there(built).await;
        }
        bail!(
            "{} has organization {} but not the rest of the demo data (did an earlier `porthole demo` stop part-way?); \
             point database.url at a new database and run `porthole demo` again",
            settings.database.url,
            SGTECH.code
        );
    }
    println!("Seeding the demo into {}", settings.database.url);
    seed(&built.app).await.context("cannot seed the demo data")
}

/// The showcase shipment and how many of its share links still work.
async fn already_there(built: &Built) -> anyhow::Result<Seeding> {
    let reference = ShipmentReference::parse(SHOWCASE).context("the showcase reference is invalid")?;
    let showcase = built
        .store
        .shipment_by_reference(&reference)
        .await
        .context("cannot look for the demo data")?
        .with_context(|| format!("the demo data has no shipment {SHOWCASE}"))?
        .id;
    let links = built.app.share_links_of(&showcase).await.context("cannot read the demo's share links")?;
    let live_share_links = links.iter().filter(|link| link.status == LinkStatus::Active).count();
    Ok(Seeding::AlreadyThere { showcase, live_share_links })
}

async fn seed(app: &Porthole) -> anyhow::Result<Seeding> {
    let mut organization_ids = OrganizationIds::default();
    for org in ORGANIZATIONS {
        let created = app
            .create_organization(OrganizationInput {
                code: org.code.into(),
                name: org.name.into(),
                portal_enabled: Some(true),
                show_charges: Some(org.show_charges),
            })
            .await
            .with_context(|| format!("organization {}", org.code))?;
        organization_ids.0.insert(org.code, created.id.to_string());
    }
    let codes: Vec<&str> = ORGANIZATIONS.iter().map(|org| org.code).collect();
    println!("  organizations   {}", codes.join(", "));

    let master = app
        .create_master(MasterInput {
            mbl_no: MASTER_BILL.into(),
            overseas_agent_id: Some(organization_ids.of(&LBFP)?),
            carrier: Some("MSC".into()),
            vessel: Some(VESSEL.into()),
            voyage: Some(VOYAGE.into()),
        })
        .await
        .with_context(|| format!("master bill {MASTER_BILL}"))?;
    println!("  master bill     {MASTER_BILL} (MSC, {VESSEL} {VOYAGE}), overseas agent {}", LBFP.code);

    let mut showcase = None;
    for (input, events) in shipments(&organization_ids, &master.id.to_string())? {
        let reference = input.reference.clone();
        let upserted = app.upsert_shipment(input).await.with_context(|| format!("shipment {reference}"))?;
        let id = upserted.view.record.shipment.id.clone();
        if !events.is_empty() {
            app.ingest_events(&id, &events).await.with_context(|| format!("events of shipment {reference}"))?;
        }
        let view = app.staff_shipment(&id).await.with_context(|| format!("shipment {reference}"))?;
        let unpublished = events.iter().filter(|event| !event.published).count();
        let hidden = if unpublished > 0 { format!(", {unpublished} unpublished") } else { String::new() };
        println!(
            "  shipment        {reference}  {} {} → {}  {}  ({}{hidden})",
            view.record.shipment.mode.as_str(),
            view.record.shipment.pol.unlocode,
            view.record.shipment.pod.unlocode,
            view.state.status.label(),
            match events.len() {
                1 => "1 event".to_owned(),
                count => format!("{count} events"),
            },
        );
        if reference == SHOWCASE {
            showcase = Some(id);
        }
    }
    let showcase = showcase.with_context(|| format!("shipment {SHOWCASE} was not seeded"))?;

    // Before the users: the last user marks a complete seeding.
    let share_link = app.create_share_link(showcase.as_str(), &share_link_options()).await.context("the share link")?;
    println!("  share link      {} for {SHOWCASE}, verified by a code mailed to {SHARE_RECIPIENT}", share_link.link.id);

    // Several users share an organization; its warning is worth reading once.
    let mut warned = BTreeSet::new();
    for user in &USERS {
        let agent_customers =
            user.agent_customers.iter().map(|org| organization_ids.of(org)).collect::<anyhow::Result<Vec<_>>>()?;
        let saved = app
            .create_tracking_user(TrackingUserInput {
                user_id: user.user_id.into(),
                first_name: user.first_name.into(),
                last_name: Some(user.last_name.into()),
                email: user.email.into(),
                role: user.role.into(),
                organization_ids: vec![organization_ids.of(user.organization)?],
                agent_customer_ids: (!agent_customers.is_empty()).then_some(agent_customers),
                display: Some(DisplayInput { mbl_number: Some(user.mbl_number), ..DisplayInput::default() }),
                notifications: Some(user.mails.input()),
                send_setup_email: !user.has_password,
                ..TrackingUserInput::default()
            })
            .await
            .with_context(|| format!("tracking user {}", user.user_id))?;
        let state = if user.has_password {
            app.set_tracking_user_password(&saved.user.id, DEMO_PASSWORD)
                .await
                .with_context(|| format!("the password of tracking user {}", user.user_id))?;
            "active"
        } else {
            "invited, setup e-mail queued"
        };
        println!("  tracking user   {} ({} of {}, {state})", user.user_id, user.role, user.organization.code);
        for warning in saved.warnings {
            if warned.insert(warning.clone()) {
                println!("    warning: {warning}");
            }
        }
    }

    let api_key = app.create_api_key("demo", StaffRole::GeneralManager).await.context("the demo API key")?;
    println!("  API key         '{}' ({}), role {}", api_key.key.name, api_key.key.id, api_key.key.role);
    Ok(Seeding::Fresh { api_key, showcase, share_url: share_link.url })
}

/// The demo's share link: the recipient must prove their address, and sees
/// the containers besides the route, dates and timeline every link shows.
fn share_link_options() -> ShareLinkOptions {
    ShareLinkOptions {
        recipients: Some(vec![SHARE_RECIPIENT.to_owned()]),
        require_verification: true,
        sections: Some(SectionsInput { containers: Some(true), ..SectionsInput::default() }),
        ..ShareLinkOptions::default()
    }
}

/// Prints where to go and who to sign in as.
pub fn print_welcome(settings: &Settings, seeding: &Seeding) {
    let base = &settings.http.public_url;
    println!();
    println!("Open {base}/portal/login and sign in as one of these users, password {DEMO_PASSWORD}:");
    println!();
    let rows: Vec<[String; 4]> = USERS
        .iter()
        .map(|user| {
            [
                user.user_id.to_owned(),
                user.role.replace('_', " "),
                format!("{} ({})", user.organization.name, user.organization.code),
                user.sees.to_owned(),
            ]
        })
        .collect();
    let header = ["user", "role", "organization", "sees (SHP/202505/…)"].map(str::to_owned);
    for line in table(&header, &rows) {
        println!("  {line}");
    }
    println!();
    let mail_dir = shown_path(&settings.mail.dir);
    println!(
        "Mail (password-setup and sign-in links, share-link codes, shipment notifications) is written as .eml files \
         to {mail_dir}"
    );
    println!("API documentation: {base}/api/docs");
    println!();
    match seeding {
        Seeding::Fresh { share_url, .. } => {
            println!("Share link to {SHOWCASE} for {SHARE_RECIPIENT} (no login needed), shown only this once:");
            println!("  {share_url}");
            println!("Open it and enter {SHARE_RECIPIENT}: the 6-digit code arrives as a new .eml file in the mail");
            println!("folder above. Enter it to see the shipment.");
        }
        Seeding::AlreadyThere { showcase, live_share_links } => {
            let live = match live_share_links {
                0 => "no link to it works any more".to_owned(),
                1 => "1 link to it still works".to_owned(),
                n => format!("{n} links to it still work"),
            };
            println!(
                "The demo's share link to {SHOWCASE} was shown when it was seeded ({live}; Porthole keeps only a \
                 digest of its token)."
            );
            println!("Make a new one with a staff API key; the answer holds its URL:");
            println!(
                "  curl -H 'Authorization: Bearer KEY' -H 'Content-Type: application/json' {base}/api/v1/share/links \\"
            );
            println!(
                "    -d '{{\"shipment_id\": \"{showcase}\", \"recipients\": [\"{SHARE_RECIPIENT}\"], \
                 \"require_verification\": true, \"sections\": {{\"containers\": true}}}}'"
            );
        }
    }
    println!();
    match seeding {
        Seeding::Fresh { api_key, showcase, .. } => {
            let key = api_key.secret.expose();
            println!("Staff API key (general_manager), shown only this once:");
            println!("  {key}");
            println!("Try it:");
            println!("  curl -H 'Authorization: Bearer {key}' {base}/api/v1/shipments/{showcase}");
        }
        Seeding::AlreadyThere { .. } => {
            println!(
                "The demo's API key was shown when it was seeded; make another with \
                 `porthole api-key create --name demo --role general_manager`."
            );
        }
    }
    println!();
    let (showcase, key) = match seeding {
        Seeding::Fresh { showcase, api_key, .. } => (showcase, api_key.secret.expose()),
        Seeding::AlreadyThere { showcase, .. } => (showcase, "KEY"),
    };
    println!("Watch a notification: publish a new estimated arrival for {SHOWCASE}, two days later:");
    println!("  curl -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\");
    println!("    {base}/api/v1/shipments/{showcase}/events -d '{{\"events\": [{{");
    println!("      \"event_id\": \"demo-eta-1\", \"event_type\": \"TRANSPORT\", \"event_code\": \"ARRI\",");
    println!("      \"classifier\": \"EST\", \"event_time\": \"2025-05-27T09:00:00-07:00\", \"published\": true,");
    println!("      \"location\": {{\"unlocode\": \"USLGB\", \"name\": \"Long Beach\"}}}}]}}'");
    println!(
        "About {} s later (notifications.coalesce_seconds), saigontech and pacifichome, who asked for ETA mails \
         and may see {SHOWCASE}, each have one new mail in the mail folder, linking to the shipment page; \
         mekong, who asked for every mail but cannot see it, gets none. `porthole outbox list` shows what was \
         sent. To try again, change the event_id and move the time by another day or more.",
        settings.notifications.coalesce_seconds
    );
}

/// Left-aligned columns, the last one unpadded.
fn table(header: &[String; 4], rows: &[[String; 4]]) -> Vec<String> {
    let mut widths = [0usize; 4];
    for row in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(header)
        .chain(rows)
        .map(|row| {
            let [user, role, organization, sees] = row;
            format!(
                "{user:<w0$}  {role:<w1$}  {organization:<w2$}  {sees}",
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        })
        .collect()
}

/// The absolute path where it can be told, so it can be opened from
/// anywhere.
fn shown_path(dir: &Path) -> String {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()).display().to_string()
}

/// The demo organizations' ids, by code.
#[derive(Debug, Default)]
struct OrganizationIds(BTreeMap<&'static str, String>);

impl OrganizationIds {
    fn of(&self, org: &DemoOrganization) -> anyhow::Result<String> {
        self.0.get(org.code).cloned().with_context(|| format!("organization {} was not seeded", org.code))
    }
}

/// The shipment the printed curl example fetches.
const SHOWCASE: &str = "SHP/202505/00080";

const CAT_LAI: (&str, &str) = ("VNSGN", "Cat Lai");
const LONG_BEACH: (&str, &str) = ("USLGB", "Long Beach");

/// The demo shipments and their events, in the order they are seeded.
fn shipments(orgs: &OrganizationIds, master_id: &str) -> anyhow::Result<Vec<(ShipmentInput, Vec<EventInput>)>> {
    let sgtech = orgs.of(&SGTECH)?;
    let mekong = orgs.of(&MEKONG)?;
    Ok(vec![
        (
            ShipmentInput {
                reference: SHOWCASE.into(),
                hbl_no: Some("HBLSGN00080".into()),
                master_id: Some(master_id.into()),
                mode: "sea_fcl".into(),
                customer_id: sgtech.clone(),
                shipper_id: Some(orgs.of(&BDFACT)?),
                consignee_id: Some(orgs.of(&PACHOME)?),
                pol: location(CAT_LAI),
                pod: location(LONG_BEACH),
                etd: Some("2025-05-10T18:00:00+07:00".into()),
                eta: Some("2025-05-25T08:00:00-07:00".into()),
                cargo: Some(CargoInput {
                    packages: 1_240,
                    weight_kg: 18_600.0,
                    volume_m3: 56.4,
                    description: "Consumer electronics: wireless speakers".into(),
                }),
                containers: Some(vec![
                    container("MSCU4721357", "45G1", "VN4410387"),
                    container("MSDU7810425", "45G1", "VN4410388"),
                ]),
                customer_note: Some(
                    "Customs pre-clearance filed; delivery appointment to be booked on arrival.".into(),
                ),
                internal_note: Some("Buy rate USD 1,850/40HC — do not disclose".into()),
                charges: Some(vec![
                    charge("sell", "Ocean freight VNSGN–USLGB, 2 × 40HC", 420_000),
                    charge("sell", "Terminal handling at origin", 38_000),
                    charge("sell", "Documentation fee", 4_500),
                    charge("buy", "Ocean freight, MSC contract rate", 370_000),
                ]),
                ..ShipmentInput::default()
            },
            vec![
                event("demo-00080-conf", "SHIPMENT", "CONF", "2025-05-02T10:15:00+07:00"),
                at_cat_lai(container_event("demo-00080", "PICK", "MSCU4721357", "2025-05-06T08:40:00+07:00")),
                at_cat_lai(container_event("demo-00080", "PICK", "MSDU7810425", "2025-05-06T09:05:00+07:00")),
                at_cat_lai(container_event("demo-00080", "STUF", "MSCU4721357", "2025-05-07T14:30:00+07:00")),
                at_cat_lai(container_event("demo-00080", "STUF", "MSDU7810425", "2025-05-07T16:10:00+07:00")),
                at_cat_lai(container_event("demo-00080", "GTIN", "MSCU4721357", "2025-05-08T07:20:00+07:00")),
                at_cat_lai(container_event("demo-00080", "GTIN", "MSDU7810425", "2025-05-08T07:55:00+07:00")),
                // Staff only: the customer must never see this remark.
                EventInput {
                    remark: Some(
                        "Customs X-ray scan, no findings. Scan fee VND 1,200,000 absorbed by us — do not pass on."
                            .into(),
                    ),
                    published: false,
                    ..at_cat_lai(container_event("demo-00080", "INSP", "MSDU7810425", "2025-05-09T10:00:00+07:00"))
                },
                on_vessel(at_cat_lai(container_event(
                    "demo-00080",
                    "LOAD",
                    "MSCU4721357",
                    "2025-05-10T11:30:00+07:00",
                ))),
                on_vessel(at_cat_lai(container_event(
                    "demo-00080",
                    "LOAD",
                    "MSDU7810425",
                    "2025-05-10T12:15:00+07:00",
                ))),
                vessel_departure(),
                vessel_arrival_estimate(),
            ],
        ),
        (
            ShipmentInput {
                reference: "SHP/202505/00081".into(),
                hbl_no: Some("HBLSGN00081".into()),
                mode: "sea_lcl".into(),
                customer_id: sgtech.clone(),
                pol: location(CAT_LAI),
                pod: location(("NLRTM", "Rotterdam")),
                etd: Some("2025-05-20T20:00:00+07:00".into()),
                eta: Some("2025-06-21T06:00:00+02:00".into()),
                cargo: Some(CargoInput {
                    packages: 86,
                    weight_kg: 1_320.0,
                    volume_m3: 7.8,
                    description: "Bluetooth headphones".into(),
                }),
                customer_note: Some("Consolidated at Cat Lai CFS; cut-off 17 May.".into()),
                ..ShipmentInput::default()
            },
            vec![event("demo-00081-conf", "SHIPMENT", "CONF", "2025-05-12T09:00:00+07:00")],
        ),
        (
            // A draft: customers never see it, however they search.
            ShipmentInput {
                reference: "SHP/202505/00095".into(),
                hbl_no: Some("HBLSGN00095".into()),
                mode: "sea_fcl".into(),
                customer_id: sgtech,
                pol: location(CAT_LAI),
                pod: location(("USOAK", "Oakland")),
                etd: Some("2025-06-02T18:00:00+07:00".into()),
                internal_note: Some("Waiting for the customer's booking confirmation.".into()),
                ..ShipmentInput::default()
            },
            Vec::new(),
        ),
        (
            // Consolidated with 00080 on the same master bill.
            ShipmentInput {
                reference: "SHP/202505/00090".into(),
                hbl_no: Some("HBLSGN00090".into()),
                master_id: Some(master_id.into()),
                mode: "sea_fcl".into(),
                customer_id: mekong.clone(),
                pol: location(CAT_LAI),
                pod: location(LONG_BEACH),
                etd: Some("2025-05-10T18:00:00+07:00".into()),
                eta: Some("2025-05-25T08:00:00-07:00".into()),
                cargo: Some(CargoInput {
                    packages: 640,
                    weight_kg: 9_800.0,
                    volume_m3: 31.5,
                    description: "Cotton garments".into(),
                }),
                containers: Some(vec![container("TGHU9182731", "42G1", "VN4410512")]),
                ..ShipmentInput::default()
            },
            vec![
                event("demo-00090-conf", "SHIPMENT", "CONF", "2025-05-03T15:20:00+07:00"),
                at_cat_lai(container_event("demo-00090", "GTIN", "TGHU9182731", "2025-05-08T10:05:00+07:00")),
                on_vessel(at_cat_lai(container_event(
                    "demo-00090",
                    "LOAD",
                    "TGHU9182731",
                    "2025-05-10T13:40:00+07:00",
                ))),
                vessel_departure(),
                vessel_arrival_estimate(),
            ],
        ),
        (
            ShipmentInput {
                reference: "SHP/202505/00091".into(),
                hbl_no: Some("HBLSGN00091".into()),
                mode: "sea_lcl".into(),
                customer_id: mekong,
                pol: location(CAT_LAI),
                pod: location(("AUSYD", "Sydney")),
                etd: Some("2025-05-24T20:00:00+07:00".into()),
                eta: Some("2025-06-06T07:00:00+10:00".into()),
                cargo: Some(CargoInput {
                    packages: 120,
                    weight_kg: 1_450.0,
                    volume_m3: 9.2,
                    description: "Knitted sweaters".into(),
                }),
                ..ShipmentInput::default()
            },
            vec![event("demo-00091-conf", "SHIPMENT", "CONF", "2025-05-15T11:00:00+07:00")],
        ),
    ])
}

fn location((unlocode, name): (&str, &str)) -> LocationInput {
    LocationInput { unlocode: unlocode.into(), name: name.into() }
}

fn container(number: &str, iso_type: &str, seal: &str) -> ContainerInput {
    ContainerInput { number: number.into(), iso_type: iso_type.into(), seal: Some(seal.into()) }
}

fn charge(side: &str, description: &str, amount_cents: i64) -> ChargeInput {
    ChargeInput {
        side: side.into(),
        description: description.into(),
        amount_minor: amount_cents,
        currency: "USD".into(),
    }
}

/// A published, actual event, recorded when it happened, so that the demo
/// derives the same milestones whenever it is seeded.
fn event(event_id: &str, event_type: &str, event_code: &str, event_time: &str) -> EventInput {
    EventInput {
        event_id: event_id.into(),
        event_type: event_type.into(),
        event_code: event_code.into(),
        classifier: "ACT".into(),
        event_time: event_time.into(),
        recorded_at: Some(event_time.into()),
        published: true,
        ..EventInput::default()
    }
}

fn container_event(prefix: &str, event_code: &str, container: &str, event_time: &str) -> EventInput {
    EventInput {
        container_number: Some(container.into()),
        ..event(
            &format!("{prefix}-{}-{container}", event_code.to_ascii_lowercase()),
            "EQUIPMENT",
            event_code,
            event_time,
        )
    }
}

fn at_cat_lai(event: EventInput) -> EventInput {
    EventInput { location: Some(location(CAT_LAI)), ..event }
}

fn on_vessel(event: EventInput) -> EventInput {
    EventInput { vessel: Some(VESSEL.into()), voyage: Some(VOYAGE.into()), ..event }
}

/// The vessel's departure, recorded against every house bill on the master
/// under one event id, as a carrier feed would.
fn vessel_departure() -> EventInput {
    on_vessel(at_cat_lai(event("demo-medu9081726-depa", "TRANSPORT", "DEPA", "2025-05-10T18:00:00+07:00")))
}

fn vessel_arrival_estimate() -> EventInput {
    EventInput {
        classifier: "EST".into(),
        location: Some(location(LONG_BEACH)),
        recorded_at: Some("2025-05-10T19:30:00+07:00".into()),
        ..on_vessel(event("demo-medu9081726-arri-est", "TRANSPORT", "ARRI", "2025-05-25T08:00:00-07:00"))
    }
}

#[cfg(test)]
mod tests {
    use porthole_domain::ContainerNumber;

    use super::*;

    fn demo_ids() -> OrganizationIds {
        OrganizationIds(ORGANIZATIONS.iter().map(|org| (org.code, format!("org_{}", org.code))).collect())
    }

    #[test]
    fn every_demo_container_number_has_a_valid_check_digit() {
        let shipments = shipments(&demo_ids(), "mbl_demo").expect("every organization is known");
        let containers = shipments.iter().flat_map(|(input, _)| input.containers.iter().flatten());
        for container in containers {
            assert!(ContainerNumber::parse(&container.number).is_ok(), "{}", container.number);
        }
    }

    #[test]
    fn the_completion_marker_is_the_last_user_seeded() {
        assert_eq!(USERS.last().map(|user| user.user_id), Some(LAST_SEEDED_USER));
    }

    #[test]
    fn every_event_parses_and_the_showcase_hides_exactly_one() {
        let shipments = shipments(&demo_ids(), "mbl_demo").expect("every organization is known");
        for (input, events) in &shipments {
            for (index, event) in events.iter().enumerate() {
                assert!(event.parse(index, chrono::Utc::now()).is_ok(), "{} event {index}: {event:?}", input.reference);
            }
        }
        let (_, showcase_events) =
            shipments.iter().find(|(input, _)| input.reference == SHOWCASE).expect("the showcase is seeded");
        assert_eq!(showcase_events.iter().filter(|event| !event.published).count(), 1);
    }

    #[test]
    fn the_welcome_table_lines_up() {
        let header = ["user", "role", "organization", "sees"].map(str::to_owned);
        let rows = [["saigontech", "customer", "Saigon Tech Export (SGTECH)", "00080"].map(str::to_owned)];
        let lines = table(&header, &rows);
        assert_eq!(lines[0].find("role"), lines[1].find("customer"));
        assert_eq!(lines[0].find("sees"), lines[1].find("00080"));
    }
}
