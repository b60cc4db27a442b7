//! The initial schema: trade partners, masters, shipments with their
//! containers and events, tracking users with their organization links, and
//! API keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, boolean, integer, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Code,
    Name,
    PortalEnabled,
    ShowCharges,
}

#[derive(DeriveIden)]
enum Masters {
    Table,
    Id,
    MblNo,
    Carrier,
    Vessel,
    Voyage,
    OverseasAgentId,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    Reference,
    HblNo,
    MasterId,
    Mode,
    Status,
    CustomerId,
    ShipperId,
    ConsigneeId,
    PolUnlocode,
    PolName,
    PodUnlocode,
    PodName,
    PlaceOfReceiptUnlocode,
    PlaceOfReceiptName,
    PlaceOfDeliveryUnlocode,
    PlaceOfDeliveryName,
    PlannedEtd,
    PlannedEta,
    Cargo,
    Legs,
    CustomerNote,
    InternalNote,
    Charges,
    Documents,
    PublishedStatus,
    PublishedEtd,
    PublishedEta,
    PublishedAtd,
    PublishedAta,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShipmentContainers {
    Table,
    ShipmentId,
    Position,
    Number,
    IsoType,
    Seal,
}

#[derive(DeriveIden)]
enum TrackingEvents {
    Table,
    Id,
    ShipmentId,
    EventId,
    Code,
    Classifier,
    EventTime,
    RecordedAt,
    LocationUnlocode,
    LocationName,
    ContainerNumber,
    Vessel,
    Voyage,
    DelayReason,
    Remark,
    Published,
    Retracts,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum TrackingUsers {
    Table,
    Id,
    UserId,
    FirstName,
    LastName,
    Email,
    AdditionalEmails,
    Role,
    Notifications,
    Display,
    State,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrackingUserOrganizations {
    Table,
    TrackingUserId,
    OrganizationId,
}

#[derive(DeriveIden)]
enum TrackingUserAgentCustomers {
    Table,
    TrackingUserId,
    OrganizationId,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Role,
    Digest,
    CreatedAt,
    RevokedAt,
}

fn text_pk<T: IntoIden>(column: T) -> ColumnDef {
    text(column).primary_key().take()
}

fn references<F: IntoIden, C: IntoIden, T: IntoIden, R: IntoIden>(
    name: &str,
    from: (F, C),
    to: (T, R),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

fn index<T: IntoIden, C: IntoIden>(name: &str, table: T, column: C) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(column).take()
}

/// Unique constraints are named indexes so that a violation names the
/// constraint the same way on every backend (`uq_<table>_<column>`), which
/// the store relies on to tell callers which field clashed.
fn unique<T: IntoIden, C: IntoIden>(name: &str, table: T, column: C) -> IndexCreateStatement {
    index(name, table, column).unique().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(text_pk(Organizations::Id))
                    .col(text(Organizations::Code))
                    .col(text(Organizations::Name))
                    .col(boolean(Organizations::PortalEnabled))
                    .col(boolean(Organizations::ShowCharges))
                    .take(),
            )
            .await?;
        manager.create_index(unique("uq_organizations_code", Organizations::Table, Organizations::Code)).await?;

        manager
            .create_table(
                Table::create()
                    .table(Masters::Table)
                    .col(text_pk(Masters::Id))
                    .col(text(Masters::MblNo))
                    .col(text_null(Masters::Carrier))
                    .col(text_null(Masters::Vessel))
                    .col(text_null(Masters::Voyage))
                    .col(text_null(Masters::OverseasAgentId))
                    .foreign_key(&mut references(
                        "fk_masters_overseas_agent_id",
                        (Masters::Table, Masters::OverseasAgentId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager.create_index(unique("uq_masters_mbl_no", Masters::Table, Masters::MblNo)).await?;
        manager.create_index(index("idx_masters_overseas_agent_id", Masters::Table, Masters::OverseasAgentId)).await?;

        manager
            .create_table(
                Table::create()
                    .table(Shipments::Table)
                    .col(text_pk(Shipments::Id))
                    .col(text(Shipments::Reference))
                    .col(text_null(Shipments::HblNo))
                    .col(text_null(Shipments::MasterId))
                    .col(text(Shipments::Mode))
                    .col(text(Shipments::Status))
                    .col(text(Shipments::CustomerId))
                    .col(text_null(Shipments::ShipperId))
                    .col(text_null(Shipments::ConsigneeId))
                    .col(text(Shipments::PolUnlocode))
                    .col(text(Shipments::PolName))
                    .col(text(Shipments::PodUnlocode))
                    .col(text(Shipments::PodName))
                    .col(text_null(Shipments::PlaceOfReceiptUnlocode))
                    .col(text_null(Shipments::PlaceOfReceiptName))
                    .col(text_null(Shipments::PlaceOfDeliveryUnlocode))
                    .col(text_null(Shipments::PlaceOfDeliveryName))
                    .col(text_null(Shipments::PlannedEtd))
                    .col(text_null(Shipments::PlannedEta))
                    .col(text_null(Shipments::Cargo))
                    .col(text(Shipments::Legs))
                    .col(text_null(Shipments::CustomerNote))
                    .col(text_null(Shipments::InternalNote))
                    .col(text(Shipments::Charges))
                    .col(text(Shipments::Documents))
                    .col(text(Shipments::PublishedStatus))
                    .col(text_null(Shipments::PublishedEtd))
                    .col(text_null(Shipments::PublishedEta))
                    .col(text_null(Shipments::PublishedAtd))
                    .col(text_null(Shipments::PublishedAta))
                    .col(text(Shipments::CreatedAt))
                    .col(text(Shipments::UpdatedAt))
                    .foreign_key(&mut references(
                        "fk_shipments_master_id",
                        (Shipments::Table, Shipments::MasterId),
                        (Masters::Table, Masters::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut references(
                        "fk_shipments_customer_id",
                        (Shipments::Table, Shipments::CustomerId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut references(
                        "fk_shipments_shipper_id",
                        (Shipments::Table, Shipments::ShipperId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut references(
                        "fk_shipments_consignee_id",
                        (Shipments::Table, Shipments::ConsigneeId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager.create_index(unique("uq_shipments_reference", Shipments::Table, Shipments::Reference)).await?;
        for (name, column) in [
            ("idx_shipments_customer_id", Shipments::CustomerId),
            ("idx_shipments_shipper_id", Shipments::ShipperId),
            ("idx_shipments_consignee_id", Shipments::ConsigneeId),
            ("idx_shipments_master_id", Shipments::MasterId),
        ] {
            manager.create_index(index(name, Shipments::Table, column)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ShipmentContainers::Table)
                    .col(text(ShipmentContainers::ShipmentId))
                    .col(integer(ShipmentContainers::Position))
                    .col(text(ShipmentContainers::Number))
                    .col(text(ShipmentContainers::IsoType))
                    .col(text_null(ShipmentContainers::Seal))
                    .primary_key(Index::create().col(ShipmentContainers::ShipmentId).col(ShipmentContainers::Position))
                    .foreign_key(&mut references(
                        "fk_shipment_containers_shipment_id",
                        (ShipmentContainers::Table, ShipmentContainers::ShipmentId),
                        (Shipments::Table, Shipments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_shipment_containers_number",
                ShipmentContainers::Table,
                ShipmentContainers::Number,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrackingEvents::Table)
                    .col(big_pk_auto(TrackingEvents::Id))
                    .col(text(TrackingEvents::ShipmentId))
                    .col(text(TrackingEvents::EventId))
                    .col(text(TrackingEvents::Code))
                    .col(text(TrackingEvents::Classifier))
                    .col(text(TrackingEvents::EventTime))
                    .col(text(TrackingEvents::RecordedAt))
                    .col(text_null(TrackingEvents::LocationUnlocode))
                    .col(text_null(TrackingEvents::LocationName))
                    .col(text_null(TrackingEvents::ContainerNumber))
                    .col(text_null(TrackingEvents::Vessel))
                    .col(text_null(TrackingEvents::Voyage))
                    .col(text_null(TrackingEvents::DelayReason))
                    .col(text_null(TrackingEvents::Remark))
                    .col(boolean(TrackingEvents::Published))
                    .col(text_null(TrackingEvents::Retracts))
                    .col(text(TrackingEvents::ReceivedAt))
                    .foreign_key(&mut references(
                        "fk_tracking_events_shipment_id",
                        (TrackingEvents::Table, TrackingEvents::ShipmentId),
                        (Shipments::Table, Shipments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        // Also serves "all events of a shipment" through its leading column.
        manager
            .create_index(
                Index::create()
                    .name("uq_tracking_events_shipment_id_event_id")
                    .table(TrackingEvents::Table)
                    .col(TrackingEvents::ShipmentId)
                    .col(TrackingEvents::EventId)
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrackingUsers::Table)
                    .col(text_pk(TrackingUsers::Id))
                    .col(text(TrackingUsers::UserId))
                    .col(text(TrackingUsers::FirstName))
                    .col(text_null(TrackingUsers::LastName))
                    .col(text(TrackingUsers::Email))
                    .col(text(TrackingUsers::AdditionalEmails))
                    .col(text(TrackingUsers::Role))
                    .col(text(TrackingUsers::Notifications))
                    .col(text(TrackingUsers::Display))
                    .col(text(TrackingUsers::State))
                    .col(text_null(TrackingUsers::PasswordHash))
                    .col(text(TrackingUsers::CreatedAt))
                    .take(),
            )
            .await?;
        manager.create_index(unique("uq_tracking_users_user_id", TrackingUsers::Table, TrackingUsers::UserId)).await?;
        // Portal login accepts the e-mail as well as the user id.
        manager.create_index(index("idx_tracking_users_email", TrackingUsers::Table, TrackingUsers::Email)).await?;

        manager
            .create_table(
                Table::create()
                    .table(TrackingUserOrganizations::Table)
                    .col(text(TrackingUserOrganizations::TrackingUserId))
                    .col(text(TrackingUserOrganizations::OrganizationId))
                    .primary_key(
                        Index::create()
                            .col(TrackingUserOrganizations::TrackingUserId)
                            .col(TrackingUserOrganizations::OrganizationId),
                    )
                    .foreign_key(&mut references(
                        "fk_tracking_user_organizations_tracking_user_id",
                        (TrackingUserOrganizations::Table, TrackingUserOrganizations::TrackingUserId),
                        (TrackingUsers::Table, TrackingUsers::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut references(
                        "fk_tracking_user_organizations_organization_id",
                        (TrackingUserOrganizations::Table, TrackingUserOrganizations::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tracking_user_organizations_organization_id",
                TrackingUserOrganizations::Table,
                TrackingUserOrganizations::OrganizationId,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrackingUserAgentCustomers::Table)
                    .col(text(TrackingUserAgentCustomers::TrackingUserId))
                    .col(text(TrackingUserAgentCustomers::OrganizationId))
                    .primary_key(
                        Index::create()
                            .col(TrackingUserAgentCustomers::TrackingUserId)
                            .col(TrackingUserAgentCustomers::OrganizationId),
                    )
                    .foreign_key(&mut references(
                        "fk_tracking_user_agent_customers_tracking_user_id",
                        (TrackingUserAgentCustomers::Table, TrackingUserAgentCustomers::TrackingUserId),
                        (TrackingUsers::Table, TrackingUsers::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut references(
                        "fk_tracking_user_agent_customers_organization_id",
                        (TrackingUserAgentCustomers::Table, TrackingUserAgentCustomers::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        // Without it, checking the foreign key when an organization is
        // deleted would scan the whole table.
        manager
            .create_index(index(
                "idx_tracking_user_agent_customers_organization_id",
                TrackingUserAgentCustomers::Table,
                TrackingUserAgentCustomers::OrganizationId,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(text_pk(ApiKeys::Id))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::Role))
                    .col(text(ApiKeys::Digest))
                    .col(text(ApiKeys::CreatedAt))
                    .col(text_null(ApiKeys::RevokedAt))
                    .take(),
            )
            .await?;
        manager.create_index(unique("uq_api_keys_digest", ApiKeys::Table, ApiKeys::Digest)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKeys::Table.into_iden(),
            TrackingUserAgentCustomers::Table.into_iden(),
            TrackingUserOrganizations::Table.into_iden(),
            TrackingUsers::Table.into_iden(),
            TrackingEvents::Table.into_iden(),
            ShipmentContainers::Table.into_iden(),
            Shipments::Table.into_iden(),
            Masters::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }

    /// The whole schema appears at once or not at all, on SQLite too (whose
    /// DDL is transactional, though sea-orm-migration does not use a
    /// transaction there by default).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
