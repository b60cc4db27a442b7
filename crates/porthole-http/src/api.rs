//! The staff JSON API under `/api/v1` (SPEC section 8).
//!
//! Each operation authenticates (the [`StaffKey`] extractor), checks the
//! key's permission, converts its body into the application's input and
//! calls one use-case. Errors leave through [`Failure`], whose parameter
//! lists the error responses the OpenAPI document shows for the operation.

use std::sync::Arc;

use poem::{Endpoint, EndpointExt};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use porthole_app::Porthole;
use porthole_app::ports::Upserted;
use porthole_domain::{OrganizationId, Permission, ShipmentId};
use tokio::sync::Semaphore;

use crate::auth::{StaffKey, bears_a_live_key};
use crate::body::JsonBody;
use crate::dto;
use crate::error::documented::{BAD_REQUEST, CONFLICT, INVALID, NOT_FOUND, STAFF_CALL};
use crate::error::{Failure, json_errors};

/// Event batches taken in hand at once; later ones wait, unread, in a
/// first-come queue. A batch waits for the database's write lock after it
/// is parsed (on SQLite writers take turns), and a parsed batch of 500
/// events holds about a megabyte: 64 clients posting at once held 50 MiB
/// more than 8 did, for less throughput. A few in hand keep one parsing
/// while another writes.
const BATCHES_IN_HAND: usize = 4;

/// The ingest operation behind a queue of [`BATCHES_IN_HAND`] places,
/// taken before the request body is read. Only a caller whose key is
/// valid queues: anyone else is refused by the operation without holding
/// a place, so a client without a key cannot stall the queue by sending
/// its body slowly.
fn batch_queue(endpoint: impl Endpoint + 'static) -> impl Endpoint {
    let places = Arc::new(Semaphore::new(BATCHES_IN_HAND));
    json_errors(endpoint).around(move |endpoint, request| {
        let places = Arc::clone(&places);
        async move {
            let _place = if bears_a_live_key(&request).await {
                // The semaphore is never closed, so this only ever waits.
                places.acquire_owned().await.ok()
            } else {
                None
            };
            endpoint.call(request).await
        }
    })
}

#[derive(Debug, Tags)]
enum Tag {
    /// Trade partners: customers, shippers, consignees, overseas agents.
    Organizations,
    /// Master bills of lading.
    Masters,
    /// House shipments, their events, and who can see them.
    Shipments,
}

#[derive(Debug, ApiResponse)]
enum CreateOrganizationResponse {
    /// The organization was created.
    #[oai(status = 201)]
    Created(Json<dto::Organization>),
}

#[derive(Debug, ApiResponse)]
enum UpdateOrganizationResponse {
    /// The organization as it is now.
    #[oai(status = 200)]
    Updated(Json<dto::Organization>),
}

#[derive(Debug, ApiResponse)]
enum CreateMasterResponse {
    /// The master was created.
    #[oai(status = 201)]
    Created(Json<dto::Master>),
}

#[derive(Debug, ApiResponse)]
enum UpsertShipmentResponse {
    /// No shipment had this reference; it was created.
    #[oai(status = 201)]
    Created(Json<dto::StaffShipment>),
    /// The shipment with this reference was replaced.
    #[oai(status = 200)]
    Updated(Json<dto::StaffShipment>),
}

#[derive(Debug, ApiResponse)]
enum GetShipmentResponse {
    /// The staff view of the shipment.
    #[oai(status = 200)]
    Found(Json<dto::StaffShipment>),
}

#[derive(Debug, ApiResponse)]
enum IngestEventsResponse {
    /// The batch was valid; new events were stored, re-sent ones counted.
    #[oai(status = 200)]
    Ingested(Json<dto::EventBatchOutcome>),
}

#[derive(Debug, ApiResponse)]
enum ShipmentViewersResponse {
    /// Every tracking user who can see the shipment, with the reason.
    #[oai(status = 200)]
    Viewers(Json<Vec<dto::Viewer>>),
}

/// The operations of `/api/v1`.
#[derive(Debug, Clone)]
pub(crate) struct StaffApi {
    app: Porthole,
}

impl StaffApi {
    pub(crate) fn new(app: Porthole) -> Self {
        Self { app }
    }
}

// `key` comes first in every operation: an unauthenticated caller is refused
// before its body is even read, and learns nothing from validation.
#[OpenApi(prefix_path = "/v1")]
impl StaffApi {
    /// Create an organization
    #[oai(
        path = "/organizations",
        method = "post",
        tag = "Tag::Organizations",
        operation_id = "create_organization",
        transform = "json_errors"
    )]
    async fn create_organization(
        &self,
        key: StaffKey,
        body: JsonBody<dto::OrganizationCreate>,
    ) -> Result<CreateOrganizationResponse, Failure<{ STAFF_CALL | BAD_REQUEST | CONFLICT | INVALID }>> {
        key.require(Permission::ManageShipments)?;
        let organization = self.app.create_organization(body.0.into()).await?;
        Ok(CreateOrganizationResponse::Created(Json(organization.into())))
    }

    /// Change an organization
    ///
    /// Only the fields sent change.
    #[oai(
        path = "/organizations/:id",
        method = "patch",
        tag = "Tag::Organizations",
        operation_id = "update_organization",
        transform = "json_errors"
    )]
    async fn update_organization(
        &self,
        key: StaffKey,
        id: Path<String>,
        body: JsonBody<dto::OrganizationPatch>,
    ) -> Result<UpdateOrganizationResponse, Failure<{ STAFF_CALL | BAD_REQUEST | NOT_FOUND | CONFLICT | INVALID }>>
    {
        key.require(Permission::ManageShipments)?;
        let organization = self.app.update_organization(&OrganizationId::new(id.0), body.0.into()).await?;
        Ok(UpdateOrganizationResponse::Updated(Json(organization.into())))
    }

    /// Create a master bill of lading
    #[oai(
        path = "/masters",
        method = "post",
        tag = "Tag::Masters",
        operation_id = "create_master",
        transform = "json_errors"
    )]
    async fn create_master(
        &self,
        key: StaffKey,
        body: JsonBody<dto::MasterCreate>,
    ) -> Result<CreateMasterResponse, Failure<{ STAFF_CALL | BAD_REQUEST | CONFLICT | INVALID }>> {
        key.require(Permission::ManageShipments)?;
        let master = self.app.create_master(body.0.into()).await?;
        Ok(CreateMasterResponse::Created(Json(master.into())))
    }

    /// Create or replace a shipment by its reference
    ///
    /// The body is the whole shipment: optional fields left out are
    /// cleared, except `status`, which stays as it is. Sending the same body
    /// again changes nothing.
    #[oai(
        path = "/shipments",
        method = "put",
        tag = "Tag::Shipments",
        operation_id = "upsert_shipment",
        transform = "json_errors"
    )]
    async fn upsert_shipment(
        &self,
        key: StaffKey,
        body: JsonBody<dto::ShipmentUpsert>,
    ) -> Result<UpsertShipmentResponse, Failure<{ STAFF_CALL | BAD_REQUEST | INVALID }>> {
        key.require(Permission::ManageShipments)?;
        let outcome = self.app.upsert_shipment(body.0.into()).await?;
        let view = Json(outcome.view.into());
        Ok(match outcome.upserted {
            Upserted::Created => UpsertShipmentResponse::Created(view),
            Upserted::Updated => UpsertShipmentResponse::Updated(view),
        })
    }

    /// Read a shipment as staff see it
    ///
    /// Every field, internal ones included; the milestone state from all
    /// events, and under `published` the state tracking users are shown.
    #[oai(
        path = "/shipments/:id",
        method = "get",
        tag = "Tag::Shipments",
        operation_id = "get_shipment",
        transform = "json_errors"
    )]
    async fn get_shipment(
        &self,
        key: StaffKey,
        id: Path<String>,
    ) -> Result<GetShipmentResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageShipments)?;
        let view = self.app.staff_shipment(&ShipmentId::new(id.0)).await?;
        Ok(GetShipmentResponse::Found(Json(view.into())))
    }

    /// Add tracking events to a shipment
    ///
    /// The batch is validated whole first: one bad event refuses it with a
    /// 422 naming the event's index and field, and nothing is written.
    #[oai(
        path = "/shipments/:id/events",
        method = "post",
        tag = "Tag::Shipments",
        operation_id = "ingest_events",
        transform = "batch_queue"
    )]
    async fn ingest_events(
        &self,
        key: StaffKey,
        id: Path<String>,
        body: JsonBody<dto::EventBatch>,
    ) -> Result<IngestEventsResponse, Failure<{ STAFF_CALL | BAD_REQUEST | NOT_FOUND | INVALID }>> {
        key.require(Permission::ManageShipments)?;
        let events: Vec<_> = body.0.events.into_iter().map(Into::into).collect();
        let outcome = self.app.ingest_events(&ShipmentId::new(id.0), &events).await?;
        Ok(IngestEventsResponse::Ingested(Json(outcome.into())))
    }

    /// Who can see a shipment, and why
    #[oai(
        path = "/shipments/:id/viewers",
        method = "get",
        tag = "Tag::Shipments",
        operation_id = "shipment_viewers",
        transform = "json_errors"
    )]
    async fn shipment_viewers(
        &self,
        key: StaffKey,
        id: Path<String>,
    ) -> Result<ShipmentViewersResponse, Failure<{ STAFF_CALL | NOT_FOUND }>> {
        key.require(Permission::ManageShipments)?;
        let viewers = self.app.shipment_viewers(&ShipmentId::new(id.0)).await?;
        Ok(ShipmentViewersResponse::Viewers(Json(viewers.into_iter().map(Into::into).collect())))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use chrono::Utc;
    use poem::{IntoResponse, Request};
    use porthole_app::ports::{
        ApiKey, MockApiKeyRepository, MockClock, MockCredentialRepository, MockHealthCheck, MockIdSource, MockMailer,
        MockMasterRepository, MockOrganizationRepository, MockOutboxRepository, MockShareLinkRepository,
        MockShipmentRepository, MockTrackingUserRepository,
    };
    use porthole_app::secret::SecretDigest;
    use porthole_app::{AppSettings, Ports};
    use porthole_domain::StaffRole;
    use tokio::sync::Notify;

    use super::*;

    const KEY: &str = "ph_test_feed_key";

    /// An application whose only known API key is [`KEY`].
    fn app() -> Porthole {
        let mut api_keys = MockApiKeyRepository::new();
        api_keys.expect_api_key_by_digest().returning(|digest| {
            let known = *digest == SecretDigest::of(KEY);
            let role = StaffRole::Operator;
            Ok(known.then(|| ApiKey { id: "key_feed".into(), name: "feed".into(), role, created_at: Utc::now() }))
        });
        let ports = Ports {
            organizations: Arc::new(MockOrganizationRepository::new()),
            masters: Arc::new(MockMasterRepository::new()),
            shipments: Arc::new(MockShipmentRepository::new()),
            tracking_users: Arc::new(MockTrackingUserRepository::new()),
            credentials: Arc::new(MockCredentialRepository::new()),
            share_links: Arc::new(MockShareLinkRepository::new()),
            outbox: Arc::new(MockOutboxRepository::new()),
            mailer: Arc::new(MockMailer::new()),
            api_keys: Arc::new(api_keys),
            health: Arc::new(MockHealthCheck::new()),
            clock: Arc::new(MockClock::new()),
            ids: Arc::new(MockIdSource::new()),
        };
        Porthole::with_settings(ports, AppSettings::default())
    }

    fn batch(app: &Porthole, key: Option<&str>) -> Request {
        let mut request = Request::builder();
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let mut request = request.finish();
        request.set_data(app.clone());
        request
    }

    /// However many keyed batches arrive at once, no more than
    /// `BATCHES_IN_HAND` reach the operation; the rest are taken in as
    /// places free up. A request without a valid key never takes a place,
    /// so it cannot hold one while real batches wait.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_beyond_those_in_hand_wait_their_turn() {
        let in_hand = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let operation = {
            let (in_hand, release) = (Arc::clone(&in_hand), Arc::clone(&release));
            poem::endpoint::make(move |_request| {
                let (in_hand, release) = (Arc::clone(&in_hand), Arc::clone(&release));
                async move {
                    in_hand.fetch_add(1, Ordering::SeqCst);
                    release.notified().await;
                    in_hand.fetch_sub(1, Ordering::SeqCst);
                    "stored"
                }
            })
        };
        let queue = Arc::new(batch_queue(operation));
        let app = app();
        let send = |request: Request| {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.call(request).await.map(|r| r.into_response().status()) })
        };
        let batches = 3 * BATCHES_IN_HAND;
        let mut calls: Vec<_> = (0..batches).map(|_| send(batch(&app, Some(KEY)))).collect();
        // How many are in hand once `count` are, or after a second.
        let settle = |count: usize| {
            let in_hand = Arc::clone(&in_hand);
            async move {
                for _ in 0..200 {
                    if in_hand.load(Ordering::SeqCst) >= count {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                in_hand.load(Ordering::SeqCst)
            }
        };
        assert_eq!(settle(BATCHES_IN_HAND).await, BATCHES_IN_HAND, "the rest wait");
        calls.push(send(batch(&app, None)));
        calls.push(send(batch(&app, Some("ph_not_a_key"))));
        assert_eq!(settle(BATCHES_IN_HAND + 2).await, BATCHES_IN_HAND + 2, "requests without a valid key do not queue");
        let mut answered = 0;
        for call in calls {
            while !call.is_finished() {
                release.notify_waiters();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let status = call.await.expect("call").expect("answer");
            assert!(status.is_success(), "{status}");
            answered += 1;
        }
        assert_eq!(answered, batches + 2);
    }
}
