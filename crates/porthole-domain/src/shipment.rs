//! Master bills, house shipments and the shipment status machine.

use chrono::{DateTime, FixedOffset};

use crate::ids::{MasterId, OrganizationId, ShipmentId};
use crate::values::{ContainerNumber, Location, ShipmentReference};

/// A master bill of lading (MBL). One master carries many house shipments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Master {
    pub id: MasterId,
    pub mbl_no: String,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    /// The agent at the other end, who may see this master's house bills for
    /// the customers it is allowed.
    pub overseas_agent_id: Option<OrganizationId>,
}

/// How the cargo moves. Each mode has its own milestone template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    SeaFcl,
    SeaLcl,
    Air,
    Road,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::SeaFcl, Mode::SeaLcl, Mode::Air, Mode::Road];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::SeaFcl => "sea_fcl",
            Mode::SeaLcl => "sea_lcl",
            Mode::Air => "air",
            Mode::Road => "road",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Mode::ALL.into_iter().find(|mode| mode.as_str() == raw)
    }
}

/// Shipment status: Draft → Confirmed → In Transit → Done, or Cancelled from
/// any non-terminal status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Confirmed,
    InTransit,
    Done,
    Cancelled,
}

/// A status change staff asked for that the status machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a shipment cannot go from {} back to {}", from.as_str(), to.as_str())]
pub struct StatusRegression {
    pub from: Status,
    pub to: Status,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Draft, Status::Confirmed, Status::InTransit, Status::Done, Status::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Confirmed => "confirmed",
            Status::InTransit => "in_transit",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Confirmed => "Confirmed",
            Status::InTransit => "In Transit",
            Status::Done => "Done",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }

    /// Position along the journey; Cancelled is not on it.
    fn progress_rank(self) -> Option<u8> {
        match self {
            Status::Draft => Some(0),
            Status::Confirmed => Some(1),
            Status::InTransit => Some(2),
            Status::Done => Some(3),
            Status::Cancelled => None,
        }
    }

    /// The later of two statuses along the journey. Used to combine the
    /// status staff set with the status the events prove, so a late-arriving
    /// older event can never move a shipment backwards.
    pub fn furthest(self, other: Status) -> Status {
        if self == Status::Cancelled || other == Status::Cancelled {
            return Status::Cancelled;
        }
        if self.progress_rank() >= other.progress_rank() { self } else { other }
    }

    /// Checks a status change requested by staff. Moving forward (skipping
    /// steps is fine) and cancelling are allowed from any non-terminal
    /// status; moving backwards is refused; a terminal status may be
    /// reopened to any non-terminal one.
    pub fn staff_change(self, to: Status) -> Result<Status, StatusRegression> {
        if self == to {
            return Ok(to);
        }
        if self.is_terminal() {
            return if to.is_terminal() { Err(StatusRegression { from: self, to }) } else { Ok(to) };
        }
        if to == Status::Cancelled || to.progress_rank() > self.progress_rank() {
            Ok(to)
        } else {
            Err(StatusRegression { from: self, to })
        }
    }
}

/// What is in the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Cargo {
    pub packages: u32,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub number: ContainerNumber,
    /// ISO 6346 size/type code, e.g. `45G1`.
    pub iso_type: String,
    pub seal: Option<String>,
}

/// Which side of the deal a charge belongs to. Buy-side charges (what the
/// forwarder pays) are never shown outside staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargeSide {
    Sell,
    Buy,
}

impl ChargeSide {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeSide::Sell => "sell",
            ChargeSide::Buy => "buy",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [ChargeSide::Sell, ChargeSide::Buy].into_iter().find(|side| side.as_str() == raw)
    }
}

/// A charge line. Money is kept in minor units to avoid float rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub side: ChargeSide,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// A document attached to a shipment (bill of lading, invoice, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Unpublished documents are staff only.
    pub published: bool,
}

/// One leg of the journey (pre-carriage, main carriage, on-carriage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportLeg {
    pub sequence: u32,
    pub mode: Mode,
    pub from: Location,
    pub to: Location,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub etd: Option<DateTime<FixedOffset>>,
    pub eta: Option<DateTime<FixedOffset>>,
}

/// A house shipment (HBL), as staff hold it: every field, internal ones
/// included. Viewers only ever receive a projection of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    pub id: ShipmentId,
    pub reference: ShipmentReference,
    /// For a direct MBL the MBL number is entered here. Without one the
    /// shipment is not visible to any tracking user.
    pub hbl_no: Option<String>,
    pub master_id: Option<MasterId>,
    pub mode: Mode,
    /// The status staff set. The status shown combines this with what the
    /// events prove; see [`crate::MilestoneState`].
    pub status: Status,
    pub customer_id: OrganizationId,
    pub shipper_id: Option<OrganizationId>,
    pub consignee_id: Option<OrganizationId>,
    pub pol: Location,
    pub pod: Location,
    pub place_of_receipt: Option<Location>,
    pub place_of_delivery: Option<Location>,
    /// Planned dates from the booking. Events refine them.
    pub planned_etd: Option<DateTime<FixedOffset>>,
    pub planned_eta: Option<DateTime<FixedOffset>>,
    pub cargo: Option<Cargo>,
    pub containers: Vec<Container>,
    pub legs: Vec<TransportLeg>,
    pub customer_note: Option<String>,
    pub internal_note: Option<String>,
    pub charges: Vec<Charge>,
    pub documents: Vec<Document>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_may_move_forward_skip_and_cancel() {
        assert_eq!(Status::Draft.staff_change(Status::InTransit), Ok(Status::InTransit));
        assert_eq!(Status::Confirmed.staff_change(Status::Cancelled), Ok(Status::Cancelled));
        assert_eq!(Status::InTransit.staff_change(Status::Done), Ok(Status::Done));
    }

    #[test]
    fn staff_may_not_move_backwards_except_to_reopen() {
        assert!(Status::InTransit.staff_change(Status::Confirmed).is_err());
        assert!(Status::Confirmed.staff_change(Status::Draft).is_err());
        assert!(Status::Done.staff_change(Status::Cancelled).is_err());
        assert_eq!(Status::Done.staff_change(Status::InTransit), Ok(Status::InTransit));
        assert_eq!(Status::Cancelled.staff_change(Status::Confirmed), Ok(Status::Confirmed));
    }

    #[test]
    fn furthest_never_goes_backwards_and_cancelled_wins() {
        for a in Status::ALL {
            for b in Status::ALL {
                let f = a.furthest(b);
                assert_eq!(f, b.furthest(a), "commutative for {a:?} {b:?}");
                if a == Status::Cancelled || b == Status::Cancelled {
                    assert_eq!(f, Status::Cancelled);
                } else {
                    assert!(f.progress_rank() >= a.progress_rank() && f.progress_rank() >= b.progress_rank());
                }
            }
        }
    }
}
