//! When a customer's request must be answered, by the law of the controller's country, counted
//! on the calendar from the moment the request is verified, ending at 23:59:59 UTC of the last
//! day (a deadline that falls inside a day gives the whole day).
//!
//! | country | first deadline | extension | source |
//! |---|---|---|---|
//! | Saudi Arabia | 30 days | once, up to 30 days, with the reason told to the customer | PDPL Implementing Regulation, art. 3 |
//! | Albania | one month | once, up to two months, with the reason told | Law No. 124/2024 on personal data protection (modelled on GDPR art. 12(3)) |
//! | UAE, Iran, elsewhere | the shop's `response_days` | none | no deadline in law yet (UAE Decree-Law 45/2021 awaits its regulations; Iran has no general law) |

use harim_policy::Country;
use time::{Date, Duration, Month, OffsetDateTime, Time};

/// A length of time on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(u32),
    Months(u8),
}

/// The rule of one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub first: Span,
    /// The one extension the law allows (`None`: none).
    pub extension: Option<Span>,
    /// Where the rule comes from (shown to operators and in the docs).
    pub source: &'static str,
}

/// The rule for a controller in `country` whose own setting is `response_days`.
#[must_use]
pub fn rule(country: Country, response_days: u32) -> Rule {
    match country {
        Country::Sa => Rule {
            first: Span::Days(30),
            extension: Some(Span::Days(30)),
            source: "PDPL Implementing Regulation, art. 3",
        },
        Country::Al => Rule {
            first: Span::Months(1),
            extension: Some(Span::Months(2)),
            source: "Law No. 124/2024 on personal data protection",
        },
        _ => Rule {
            first: Span::Days(response_days),
            extension: None,
            source: "no deadline in law: the shop's response_days",
        },
    }
}

/// `at` plus `span` on the calendar (a month later than 31 January is the last day of
/// February), at the end of that day, UTC.
#[must_use]
pub fn after(at: OffsetDateTime, span: Span) -> OffsetDateTime {
    let date = at.to_offset(time::UtcOffset::UTC).date();
    let end = match span {
        Span::Days(d) => date
            .checked_add(Duration::days(i64::from(d)))
            .unwrap_or(date),
        Span::Months(m) => add_months(date, m),
    };
    end.with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_utc()
}

fn add_months(date: Date, months: u8) -> Date {
    let total = date.month() as i32 - 1 + i32::from(months);
    let year = date.year() + total / 12;
    let month =
        Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1)).unwrap_or(Month::January);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn saudi_thirty_days_then_thirty_more() {
        let r = rule(Country::Sa, 10);
        let at = datetime!(2026-01-10 09:00 UTC);
        let due = after(at, r.first);
        assert_eq!(due, datetime!(2026-02-09 23:59:59 UTC));
        assert_eq!(
            after(due, r.extension.unwrap()),
            datetime!(2026-03-11 23:59:59 UTC)
        );
    }

    #[test]
    fn albania_counts_months_on_the_calendar() {
        let r = rule(Country::Al, 10);
        assert_eq!(
            after(datetime!(2026-01-31 12:00 UTC), r.first),
            datetime!(2026-02-28 23:59:59 UTC)
        );
        assert_eq!(
            after(datetime!(2026-11-15 12:00 UTC), Span::Months(2)),
            datetime!(2027-01-15 23:59:59 UTC)
        );
        assert_eq!(r.extension, Some(Span::Months(2)));
    }

    #[test]
    fn elsewhere_the_shop_setting_and_no_extension() {
        for c in [Country::Ir, Country::Ae] {
            let r = rule(c, 10);
            assert_eq!(r.first, Span::Days(10));
            assert_eq!(r.extension, None);
        }
    }
}
