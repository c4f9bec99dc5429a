//! Each market's rules for messages to customers, decided before anything is sent. Consent and
//! the shop's own switches are the gate's; these are what the country adds on top.
//!
//! - Iran: advertising SMS only with the subscriber's prior permission, and informational and
//!   advertising messages from service numbers end with «لغو۱۱» (send 11 to stop)
//!   (Communications Regulatory Authority, resolution 270; practice of Iranian SMS gateways).
//! - Saudi Arabia: marketing only with prior consent and a clear way to stop (PDPL art. 25);
//!   advertising sender names carry the suffix `-AD` (CST decision 395/1439).
//! - United Arab Emirates: advertising sender ids are marked `AD-` (TDRA, since November 2020)
//!   and advertising goes out only between 07:00 and 21:00 local time (UTC+4, no daylight
//!   saving) (TDRA marketing SMS guidance).
//! - Albania and the rest: consent (Law No. 124/2024), no further rule in code.

use time::{OffsetDateTime, UtcOffset};

use crate::{Channel, Kind};

/// Markets with rules of their own (ISO 3166 alpha-2, lower case, as the policy settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    Ir,
    Sa,
    Ae,
    Other,
}

impl Market {
    #[must_use]
    pub fn of(country: &str) -> Self {
        match country {
            "ir" => Self::Ir,
            "sa" => Self::Sa,
            "ae" => Self::Ae,
            _ => Self::Other,
        }
    }
}

/// What the rules add to a message that may go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Adjustments {
    /// A line appended to the body.
    pub footer: Option<&'static str>,
    /// A suffix of the sender name (`-AD`).
    pub sender_suffix: Option<&'static str>,
    /// A prefix of the sender name (`AD-`).
    pub sender_prefix: Option<&'static str>,
}

/// Why the rules stop a message (the gate's `quiet-hours`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    QuietHours,
}

/// The opt-out line of Iranian SMS.
pub const IR_OPT_OUT: &str = "لغو۱۱";

/// The rules of `market` for a message of `kind` on `channel` at `now`.
pub fn apply(
    market: Market,
    channel: Channel,
    kind: Kind,
    now: OffsetDateTime,
) -> Result<Adjustments, Held> {
    let mut a = Adjustments::default();
    if kind != Kind::Marketing {
        return Ok(a);
    }
    match (market, channel) {
        (Market::Ir, Channel::Sms) => a.footer = Some(IR_OPT_OUT),
        (Market::Sa, Channel::Sms) => a.sender_suffix = Some("-AD"),
        (Market::Ae, _) => {
            let offset = UtcOffset::from_hms(4, 0, 0).unwrap_or(UtcOffset::UTC);
            let hour = now.to_offset(offset).hour();
            if !(7..21).contains(&hour) {
                return Err(Held::QuietHours);
            }
            if channel == Channel::Sms {
                a.sender_prefix = Some("AD-");
            }
        }
        _ => {}
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn uae_advertising_waits_for_seven_in_the_morning_dubai_time() {
        let m = |t| apply(Market::Ae, Channel::Sms, Kind::Marketing, t);
        assert_eq!(m(datetime!(2026-12-07 02:59 UTC)), Err(Held::QuietHours));
        assert!(m(datetime!(2026-12-07 03:00 UTC)).is_ok());
        assert!(m(datetime!(2026-12-07 16:59 UTC)).is_ok());
        assert_eq!(m(datetime!(2026-12-07 17:00 UTC)), Err(Held::QuietHours));
        assert!(
            apply(
                Market::Ae,
                Channel::Sms,
                Kind::Order,
                datetime!(2026-12-07 23:00 UTC)
            )
            .is_ok()
        );
    }

    #[test]
    fn iran_marks_the_opt_out_and_saudi_the_sender() {
        let now = datetime!(2026-12-07 10:00 UTC);
        let ir = apply(Market::Ir, Channel::Sms, Kind::Marketing, now).unwrap_or_default();
        assert_eq!(ir.footer, Some(IR_OPT_OUT));
        let sa = apply(Market::Sa, Channel::Sms, Kind::Marketing, now).unwrap_or_default();
        assert_eq!(sa.sender_suffix, Some("-AD"));
        let order = apply(Market::Ir, Channel::Sms, Kind::Order, now).unwrap_or_default();
        assert_eq!(order, Adjustments::default());
    }
}
