//! The use-cases. [`Porthole`] holds the ports and exposes one method per
//! use-case; the HTTP adapter and the CLI call these and nothing below.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use porthole_domain::milestone::MilestoneState;
use porthole_domain::projection::{ShipmentRecord, reason_for};
use porthole_domain::{
    Master, MasterId, Mode, Organization, OrganizationId, Permission, ReportFrequency, Shipment, ShipmentId,
    ShipmentReference, StaffRole, Status, TrackingRole, TrackingUserId, UserId,
};

use crate::error::{AppError, FieldError};
use crate::input::{
    EventInput, MasterInput, OrganizationInput, OrganizationPatch, ShipmentInput, optional_text, optional_timestamp,
    required_text,
};
use crate::passwords::Passwords;
use crate::ports::{
    ApiKey, ApiKeyRepository, Clock, CredentialRepository, HealthCheck, IdSource, Mailer, MasterRepository,
    OrganizationRepository, OutboxRepository, ShareLinkRepository, ShipmentRepository, TrackingUserRepository,
    Upserted,
};
use crate::secret::{Secret, SecretDigest};
use crate::settings::AppSettings;
use crate::throttle::AttemptThrottle;

/// The most events one batch may carry; larger feeds send several batches.
pub const MAX_EVENTS_PER_BATCH: usize = 5_000;

/// Everything the use-cases need from outside.
#[derive(Clone)]
pub struct Ports {
    pub organizations: Arc<dyn OrganizationRepository>,
    pub masters: Arc<dyn MasterRepository>,
    pub shipments: Arc<dyn ShipmentRepository>,
    pub tracking_users: Arc<dyn TrackingUserRepository>,
    pub credentials: Arc<dyn CredentialRepository>,
    pub share_links: Arc<dyn ShareLinkRepository>,
    pub outbox: Arc<dyn OutboxRepository>,
    pub mailer: Arc<dyn Mailer>,
    pub api_keys: Arc<dyn ApiKeyRepository>,
    pub health: Arc<dyn HealthCheck>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ports { .. }")
    }
}

/// The application: one method per use-case. Cheap to clone; clones share
/// the sign-in rate limits and the password-hashing permits.
#[derive(Debug, Clone)]
pub struct Porthole {
    pub(crate) ports: Ports,
    pub(crate) settings: Arc<AppSettings>,
    pub(crate) passwords: Passwords,
    pub(crate) throttle: Arc<AttemptThrottle>,
    pub(crate) code_throttle: Arc<AttemptThrottle>,
    /// The latest periodic-report slot of each frequency this process has
    /// recorded, so the outbox worker writes each slot once.
    pub(crate) report_slots:
        Arc<std::sync::Mutex<std::collections::HashMap<ReportFrequency, chrono::DateTime<chrono::Utc>>>>,
    /// Share-page views waiting for the access log.
    pub(crate) link_views: Arc<crate::share::PendingViews>,
}

/// The result of `PUT /api/v1/shipments`.
#[derive(Debug, Clone)]
pub struct ShipmentUpserted {
    pub upserted: Upserted,
    pub view: StaffShipmentView,
}

/// A shipment as staff see it: every field, the milestone state from all
/// events, and the state viewers are shown.
#[derive(Debug, Clone)]
pub struct StaffShipmentView {
    pub record: ShipmentRecord,
    pub state: MilestoneState,
    pub viewer_state: MilestoneState,
}

impl StaffShipmentView {
    fn of(record: ShipmentRecord) -> Self {
        let state = record.staff_state();
        let viewer_state = record.viewer_state();
        Self { record, state, viewer_state }
    }
}

/// What an event batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBatchOutcome {
    pub accepted: usize,
    pub duplicates: usize,
}

/// One tracking user who can see a shipment, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub tracking_user_id: TrackingUserId,
    pub user_id: UserId,
    pub role: TrackingRole,
    pub organization_id: OrganizationId,
    pub reason: String,
}

/// A newly created API key. `secret` is shown once and never again.
#[derive(Debug)]
pub struct ApiKeyCreated {
    pub key: ApiKey,
    pub secret: Secret,
}

impl Porthole {
    /// The application with default settings.
    pub fn new(ports: Ports) -> Self {
        Self::with_settings(ports, AppSettings::default())
    }

    pub fn with_settings(ports: Ports, settings: AppSettings) -> Self {
        let throttle = Arc::new(AttemptThrottle::sign_in(settings.sign_in_limits));
        let code_throttle = Arc::new(AttemptThrottle::codes(settings.code_limits));
        Self {
            ports,
            settings: Arc::new(settings),
            passwords: Passwords::default(),
            throttle,
            code_throttle,
            report_slots: Arc::default(),
            link_views: Arc::default(),
        }
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    pub fn clock(&self) -> &dyn Clock {
        self.ports.clock.as_ref()
    }

    /// Readiness: storage answers.
    pub async fn ready(&self) -> Result<(), AppError> {
        Ok(self.ports.health.ping().await?)
    }

    // ---- API keys -------------------------------------------------------

    pub async fn create_api_key(&self, name: &str, role: StaffRole) -> Result<ApiKeyCreated, AppError> {
        let name = required_text("name", name, 100)?;
        let secret = Secret::generate("ph_").map_err(|e| AppError::Unavailable(format!("random source: {e}")))?;
        let key = ApiKey { id: self.ports.ids.new_id("key_"), name, role, created_at: self.ports.clock.now() };
        self.ports.api_keys.insert_api_key(&key, &secret.digest()).await?;
        Ok(ApiKeyCreated { key, secret })
    }

    /// The key a bearer token stands for; `Unauthorized` for any unknown
    /// token, whatever its shape.
    pub async fn authenticate_api_key(&self, presented: &str) -> Result<ApiKey, AppError> {
        self.ports.api_keys.api_key_by_digest(&SecretDigest::of(presented)).await?.ok_or(AppError::Unauthorized)
    }

    /// Refusals name the roles that may, as `porthole api-key create
    /// --role` spells them, so an integrator knows which key to ask for.
    pub fn authorize(key: &ApiKey, permission: Permission) -> Result<(), AppError> {
        if key.role.allows(permission) {
            return Ok(());
        }
        let action = match permission {
            Permission::ManageShipments => "manage shipments",
            Permission::ManageShareLinks => "manage share links",
            Permission::ManageTrackingUsers => "manage tracking users",
        };
        let allowed: Vec<&str> =
            StaffRole::ALL.into_iter().filter(|role| role.allows(permission)).map(StaffRole::as_str).collect();
        let message = match allowed.split_last() {
            Some((last, [])) => format!("only {last} keys may {action}; this key's role is {}", key.role),
            Some((last, rest)) => {
                format!("only {} or {last} keys may {action}; this key's role is {}", rest.join(", "), key.role)
            }
            None => format!("no key may {action}"),
        };
        Err(AppError::Forbidden(message))
    }

    // ---- Organizations --------------------------------------------------

    pub async fn create_organization(&self, input: OrganizationInput) -> Result<Organization, AppError> {
        let org = Organization {
            id: OrganizationId::new(self.ports.ids.new_id("org_")),
            code: organization_code(&input.code)?,
            name: required_text("name", &input.name, 200)?,
            portal_enabled: input.portal_enabled.unwrap_or(true),
            show_charges: input.show_charges.unwrap_or(false),
        };
        self.ports.organizations.insert_organization(&org).await?;
        Ok(org)
    }

    pub async fn update_organization(
        &self,
        id: &OrganizationId,
        patch: OrganizationPatch,
    ) -> Result<Organization, AppError> {
        let code = patch.code.as_deref().map(organization_code).transpose()?;
        let name = patch.name.as_deref().map(|n| required_text("name", n, 200)).transpose()?;
        let mut org = self.ports.organizations.organization(id).await?.ok_or(AppError::NotFound)?;
        if let Some(code) = code {
            org.code = code;
        }
        if let Some(name) = name {
            org.name = name;
        }
        if let Some(enabled) = patch.portal_enabled {
            org.portal_enabled = enabled;
        }
        if let Some(show) = patch.show_charges {
            org.show_charges = show;
        }
        self.ports.organizations.update_organization(&org).await?;
        Ok(org)
    }

    // ---- Masters --------------------------------------------------------

    pub async fn create_master(&self, input: MasterInput) -> Result<Master, AppError> {
        let mbl_no = required_text("mbl_no", &input.mbl_no, 40)?;
        let overseas_agent_id = input.overseas_agent_id.as_deref().map(OrganizationId::new);
        if let Some(agent) = &overseas_agent_id {
            self.require_organizations(&[("overseas_agent_id", agent)]).await?;
        }
        let master = Master {
            id: MasterId::new(self.ports.ids.new_id("mbl_")),
            mbl_no,
            carrier: optional_text("carrier", input.carrier.as_deref(), 100)?,
            vessel: optional_text("vessel", input.vessel.as_deref(), 100)?,
            voyage: optional_text("voyage", input.voyage.as_deref(), 40)?,
            overseas_agent_id,
        };
        self.ports.masters.insert_master(&master).await?;
        Ok(master)
    }

    // ---- Shipments ------------------------------------------------------

    /// Upserts by reference. Absent optional fields are cleared (the body is
    /// the whole shipment), except `status`, which an absent value leaves as
    /// it is, and which may only move as the status machine allows.
    pub async fn upsert_shipment(&self, input: ShipmentInput) -> Result<ShipmentUpserted, AppError> {
        let reference =
            ShipmentReference::parse(&input.reference).map_err(|e| FieldError::new("reference", e.reason))?;
        let mode = Mode::parse(input.mode.trim())
            .ok_or_else(|| FieldError::new("mode", "must be one of sea_fcl, sea_lcl, air, road"))?;
        let requested_status = input
            .status
            .as_deref()
            .map(|raw| {
                Status::parse(raw.trim()).ok_or_else(|| {
                    FieldError::new("status", "must be one of draft, confirmed, in_transit, done, cancelled")
                })
            })
            .transpose()?;
        let pol = input.pol.parse("pol")?;
        let pod = input.pod.parse("pod")?;
        let place_of_receipt = input.place_of_receipt.as_ref().map(|l| l.parse("place_of_receipt")).transpose()?;
        let place_of_delivery = input.place_of_delivery.as_ref().map(|l| l.parse("place_of_delivery")).transpose()?;
        let planned_etd = optional_timestamp("etd", input.etd.as_deref())?;
        let planned_eta = optional_timestamp("eta", input.eta.as_deref())?;
        let cargo = input.cargo.as_ref().map(|c| c.parse()).transpose()?;
        let containers = input
            .containers
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| c.parse(&format!("containers[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        if let Some(i) = containers.iter().position(|c| !seen.insert(c.number.clone())) {
            return Err(FieldError::new(format!("containers[{i}].number"), "is listed twice").into());
        }
        let charges = input
            .charges
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| c.parse(&format!("charges[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let hbl_no = optional_text("hbl_no", input.hbl_no.as_deref(), 40)?;
        let customer_note = optional_text("customer_note", input.customer_note.as_deref(), 4000)?;
        let internal_note = optional_text("internal_note", input.internal_note.as_deref(), 4000)?;
        let customer_id = OrganizationId::new(required_text("customer_id", &input.customer_id, 100)?);
        let shipper_id = optional_text("shipper_id", input.shipper_id.as_deref(), 100)?.map(OrganizationId::new);
        let consignee_id = optional_text("consignee_id", input.consignee_id.as_deref(), 100)?.map(OrganizationId::new);
        let master_id = optional_text("master_id", input.master_id.as_deref(), 100)?.map(MasterId::new);

        let mut parties = vec![("customer_id", &customer_id)];
        parties.extend(shipper_id.as_ref().map(|id| ("shipper_id", id)));
        parties.extend(consignee_id.as_ref().map(|id| ("consignee_id", id)));
        self.require_organizations(&parties).await?;
        if let Some(master_id) = &master_id
            && self.ports.masters.master(master_id).await?.is_none()
        {
            return Err(FieldError::new("master_id", format!("no master has id '{master_id}'")).into());
        }

        let existing = self.ports.shipments.shipment_by_reference(&reference).await?;
        let (id, status) = match &existing {
            Some(current) => {
                let status = match requested_status {
                    Some(to) => {
                        current.status.staff_change(to).map_err(|e| FieldError::new("status", e.to_string()))?
                    }
                    None => current.status,
                };
                (current.id.clone(), status)
            }
            None => (ShipmentId::new(self.ports.ids.new_id("shp_")), requested_status.unwrap_or(Status::Draft)),
        };
        let documents = existing.map(|s| s.documents).unwrap_or_default();
        let shipment = Shipment {
            id,
            reference,
            hbl_no,
            master_id,
            mode,
            status,
            customer_id,
            shipper_id,
            consignee_id,
            pol,
            pod,
            place_of_receipt,
            place_of_delivery,
            planned_etd,
            planned_eta,
            cargo,
            containers,
            legs: Vec::new(),
            customer_note,
            internal_note,
            charges,
            documents,
        };
        let upserted = self.ports.shipments.upsert_shipment(&shipment).await?;
        let view = self.staff_shipment(&shipment.id).await?;
        Ok(ShipmentUpserted { upserted, view })
    }

    pub async fn staff_shipment(&self, id: &ShipmentId) -> Result<StaffShipmentView, AppError> {
        let record = self.ports.shipments.shipment_record(id).await?.ok_or(AppError::NotFound)?;
        Ok(StaffShipmentView::of(record))
    }

    /// Validates the whole batch first; one bad event refuses the batch and
    /// nothing is written. Re-sent `event_id`s are counted as duplicates.
    pub async fn ingest_events(&self, id: &ShipmentId, inputs: &[EventInput]) -> Result<EventBatchOutcome, AppError> {
        if inputs.is_empty() {
            return Err(FieldError::new("events", "must hold at least one event").into());
        }
        if inputs.len() > MAX_EVENTS_PER_BATCH {
            return Err(FieldError::new("events", format!("may hold at most {MAX_EVENTS_PER_BATCH} events")).into());
        }
        let received_at = self.ports.clock.now();
        let events = inputs
            .iter()
            .enumerate()
            .map(|(index, input)| input.parse(index, received_at))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        if let Some(index) = events.iter().position(|e| !seen.insert(e.event_id.as_str())) {
            return Err(FieldError::new(format!("events[{index}].event_id"), "appears twice in this batch").into());
        }
        let outcome = self.ports.shipments.append_events(id, &events).await?;
        Ok(EventBatchOutcome { accepted: outcome.accepted, duplicates: outcome.duplicates })
    }

    /// Who can see the shipment, and why — by the domain's rule, applied to
    /// every user linked to one of the shipment's parties.
    pub async fn shipment_viewers(&self, id: &ShipmentId) -> Result<Vec<Viewer>, AppError> {
        let record = self.ports.shipments.shipment_record(id).await?.ok_or(AppError::NotFound)?;
        let mut parties = vec![record.shipment.customer_id.clone()];
        parties.extend(record.shipment.shipper_id.clone());
        parties.extend(record.shipment.consignee_id.clone());
        parties.extend(record.master.as_ref().and_then(|m| m.overseas_agent_id.clone()));
        let users = self.ports.tracking_users.tracking_users_in(&parties).await?;
        let their_orgs: BTreeSet<OrganizationId> =
            users.iter().flat_map(|u| u.organization_ids.iter().cloned()).collect();
        let organizations = self.ports.organizations.organizations(&their_orgs.into_iter().collect::<Vec<_>>()).await?;
        let mut viewers: Vec<Viewer> = users
            .iter()
            .filter_map(|user| {
                reason_for(user, &organizations, &record).map(|reason| Viewer {
                    tracking_user_id: user.id.clone(),
                    user_id: user.user_id.clone(),
                    role: user.role,
                    reason: reason.describe(&organizations),
                    organization_id: reason.organization_id,
                })
            })
            .collect();
        viewers.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(viewers)
    }

    /// Refuses, naming the field, any id that is not an existing
    /// organization.
    pub(crate) async fn require_organizations(&self, wanted: &[(&str, &OrganizationId)]) -> Result<(), AppError> {
        let ids: Vec<OrganizationId> = wanted.iter().map(|(_, id)| (*id).clone()).collect();
        let found: HashSet<OrganizationId> =
            self.ports.organizations.organizations(&ids).await?.into_iter().map(|o| o.id).collect();
        match wanted.iter().find(|(_, id)| !found.contains(*id)) {
            Some((field, id)) => Err(FieldError::new(*field, format!("no organization has id '{id}'")).into()),
            None => Ok(()),
        }
    }
}

/// Organization codes are short, upper-case identifiers from the TMS.
fn organization_code(raw: &str) -> Result<String, FieldError> {
    let code = required_text("code", raw, 32)?.to_ascii_uppercase();
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(FieldError::new("code", "may hold only letters, digits and - _ ."));
    }
    Ok(code)
}
