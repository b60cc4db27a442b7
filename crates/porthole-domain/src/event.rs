//! Tracking events, aligned with the DCSA Track & Trace event model, plus a
//! small documented set of codes for road and air.

use chrono::{DateTime, FixedOffset, Utc};

use crate::values::{ContainerNumber, Location};

/// The DCSA event family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Shipment,
    Transport,
    Equipment,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Shipment => "SHIPMENT",
            EventType::Transport => "TRANSPORT",
            EventType::Equipment => "EQUIPMENT",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [EventType::Shipment, EventType::Transport, EventType::Equipment].into_iter().find(|t| t.as_str() == raw)
    }
}

/// Planned, estimated or actual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classifier {
    Pln,
    Est,
    Act,
}

impl Classifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Classifier::Pln => "PLN",
            Classifier::Est => "EST",
            Classifier::Act => "ACT",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Classifier::Pln, Classifier::Est, Classifier::Act].into_iter().find(|c| c.as_str() == raw)
    }
}

macro_rules! event_codes {
    ($($variant:ident => ($code:literal, $family:ident, $label:literal)),+ $(,)?) => {
        /// Every event code Porthole accepts. Each belongs to exactly one
        /// [`EventType`]; a code sent with another type is refused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventCode {
            $(#[doc = $label] $variant),+
        }

        impl EventCode {
            pub const ALL: &'static [EventCode] = &[$(EventCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(EventCode::$variant => $code),+ }
            }

            pub fn event_type(self) -> EventType {
                match self { $(EventCode::$variant => EventType::$family),+ }
            }

            /// What a customer reads in the timeline.
            pub fn label(self) -> &'static str {
                match self { $(EventCode::$variant => $label),+ }
            }
        }
    };
}

impl EventCode {
    /// The label for an event of this code with this classifier, so that an
    /// estimate never reads as a fact: an estimated ARRI is "Estimated
    /// arrival", not "Arrived". Codes without a worded estimate keep their
    /// label; viewers see the classifier beside it.
    pub fn label_for(self, classifier: Classifier) -> &'static str {
        match (self, classifier) {
            (EventCode::Arri, Classifier::Est) => "Estimated arrival",
            (EventCode::Arri, Classifier::Pln) => "Planned arrival",
            (EventCode::Depa, Classifier::Est) => "Estimated departure",
            (EventCode::Depa, Classifier::Pln) => "Planned departure",
            _ => self.label(),
        }
    }
}

event_codes! {
    // DCSA transport events.
    Arri => ("ARRI", Transport, "Arrived"),
    Depa => ("DEPA", Transport, "Departed"),
    // DCSA equipment events.
    Load => ("LOAD", Equipment, "Loaded on vessel"),
    Disc => ("DISC", Equipment, "Discharged from vessel"),
    Gtin => ("GTIN", Equipment, "Gated in"),
    Gtot => ("GTOT", Equipment, "Gated out"),
    Stuf => ("STUF", Equipment, "Container stuffed"),
    Strp => ("STRP", Equipment, "Container stripped"),
    Pick => ("PICK", Equipment, "Empty container picked up"),
    Drop => ("DROP", Equipment, "Container dropped off"),
    // DCSA 3 inspection and seal codes, used for customs checks.
    Insp => ("INSP", Equipment, "Inspected"),
    Rsea => ("RSEA", Equipment, "Resealed"),
    Rmvd => ("RMVD", Equipment, "Removed from transport"),
    // DCSA shipment (document) events.
    Rece => ("RECE", Shipment, "Cargo received"),
    Drft => ("DRFT", Shipment, "Draft issued"),
    Pena => ("PENA", Shipment, "Pending approval"),
    Penu => ("PENU", Shipment, "Pending update"),
    Reje => ("REJE", Shipment, "Rejected"),
    Appr => ("APPR", Shipment, "Approved"),
    Issu => ("ISSU", Shipment, "Bill of lading issued"),
    Surr => ("SURR", Shipment, "Bill of lading surrendered"),
    Subm => ("SUBM", Shipment, "Submitted"),
    Void => ("VOID", Shipment, "Voided"),
    Conf => ("CONF", Shipment, "Booking confirmed"),
    Reqs => ("REQS", Shipment, "Requested"),
    Cmpl => ("CMPL", Shipment, "Completed"),
    Hold => ("HOLD", Shipment, "On hold"),
    Rels => ("RELS", Shipment, "Released by customs"),
    Canc => ("CANC", Shipment, "Cancelled"),
    // Porthole's road and air codes (not DCSA).
    Picu => ("PICU", Transport, "Picked up"),
    Ofdl => ("OFDL", Transport, "Out for delivery"),
    Dlvd => ("DLVD", Shipment, "Delivered"),
    Podc => ("PODC", Shipment, "Proof of delivery"),
}

impl EventCode {
    pub fn parse(raw: &str) -> Option<Self> {
        EventCode::ALL.iter().copied().find(|code| code.as_str() == raw)
    }

    /// Codes that mark a document becoming available or released, which the
    /// document-status notification follows.
    pub fn is_document_status(self) -> bool {
        matches!(self, EventCode::Issu | EventCode::Surr | EventCode::Rels)
    }
}

/// One tracking event as Porthole keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingEvent {
    /// Unique per source; re-sending the same `event_id` is a no-op.
    pub event_id: String,
    pub code: EventCode,
    pub classifier: Classifier,
    /// When it happened, with the UTC offset of where it happened.
    pub event_time: DateTime<FixedOffset>,
    /// When the source recorded it (else when Porthole received it). Newer
    /// estimates win by this time, never by arrival order.
    pub recorded_at: DateTime<Utc>,
    pub location: Option<Location>,
    pub container_number: Option<ContainerNumber>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    /// `false`: staff only.
    pub published: bool,
    /// The `event_id` of an earlier event this one corrects. The earlier event
    /// stays in the timeline, marked as retracted.
    pub retracts: Option<String>,
}

impl TrackingEvent {
    pub fn event_type(&self) -> EventType {
        self.code.event_type()
    }

    pub fn is_at(&self, place: &Location) -> bool {
        self.location.as_ref().is_some_and(|here| here.unlocode == place.unlocode)
    }

    /// The order in which "newer wins": recorded time, then `event_id` so
    /// that ties resolve the same way whatever order events arrived in.
    pub fn recency_key(&self) -> (DateTime<Utc>, &str) {
        (self.recorded_at, self.event_id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_one_family() {
        for code in EventCode::ALL {
            assert_eq!(EventCode::parse(code.as_str()), Some(*code));
            assert!(!code.label().is_empty());
        }
        assert_eq!(EventCode::parse("DEPA").map(EventCode::event_type), Some(EventType::Transport));
        assert_eq!(EventCode::parse("LOAD").map(EventCode::event_type), Some(EventType::Equipment));
        assert_eq!(EventCode::parse("CONF").map(EventCode::event_type), Some(EventType::Shipment));
        assert_eq!(EventCode::parse("XXXX"), None);
        assert_eq!(EventCode::parse("depa"), None, "codes are upper case");
    }

    #[test]
    fn an_estimate_never_reads_as_a_fact() {
        assert_eq!(EventCode::Arri.label_for(Classifier::Act), "Arrived");
        assert_eq!(EventCode::Arri.label_for(Classifier::Est), "Estimated arrival");
        assert_eq!(EventCode::Depa.label_for(Classifier::Pln), "Planned departure");
        assert_eq!(EventCode::Load.label_for(Classifier::Est), EventCode::Load.label());
    }
}
