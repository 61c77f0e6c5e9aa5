//! The provider's calendar. Every month, day and due date a provider or its customers see
//! is cut in the provider's time zone (an IANA name, `Australia/Sydney`), never in UTC: a
//! Sydney provider's November starts at midnight in Sydney, which is 13:00 UTC on 31
//! October. Instants are stored as they are (UTC); only the cutting into days and months
//! happens here, with the time zone database bundled into the binary (jiff), so that a
//! daylight-saving change is the same on every machine.

use time::{Date, OffsetDateTime, UtcOffset};

/// A provider's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

/// The time zone of a provider that has not chosen one.
pub const DEFAULT_ZONE: &str = "UTC";

impl ProviderZone {
    /// An IANA time zone name (`Europe/Paris`, `UTC`), in any case; kept as the database
    /// spells it. A city alone (`Sydney`) is refused with the names it could mean.
    pub fn parse(name: &str) -> Result<ProviderZone, String> {
        let name = name.trim();
        let refused = || {
            let city = format!("/{}", name.replace(' ', "_").to_lowercase());
            let mut near: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_owned())
                .filter(|n| city.len() > 1 && n.to_lowercase().ends_with(&city))
                .take(3)
                .collect();
            near.sort();
            if near.is_empty() {
                format!(
                    "{name:?} is not a time zone: give a region and a city, such as \
                     Australia/Sydney"
                )
            } else {
                format!(
                    "{name:?} is not a time zone: did you mean {}?",
                    near.join(" or ")
                )
            }
        };
        if name.is_empty() || name.len() > 64 {
            return Err(refused());
        }
        let zone = jiff::tz::db().get(name).map_err(|_| refused())?;
        Ok(ProviderZone {
            name: zone.iana_name().unwrap_or(name).to_owned(),
            zone,
        })
    }

    pub fn utc() -> ProviderZone {
        ProviderZone {
            name: DEFAULT_ZONE.to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn timestamp(at: OffsetDateTime) -> jiff::Timestamp {
        jiff::Timestamp::new(at.unix_timestamp(), at.nanosecond() as i32)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// The provider's offset from UTC at an instant (it changes with daylight saving).
    pub fn offset_at(&self, at: OffsetDateTime) -> UtcOffset {
        let seconds = self.zone.to_offset(Self::timestamp(at)).seconds();
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// The instant as the provider's clock reads it.
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.offset_at(at))
    }

    /// The provider's calendar date at an instant.
    pub fn date_of(&self, at: OffsetDateTime) -> Date {
        self.local(at).date()
    }

    /// The instant the provider's day `date` begins (not always 00:00: some zones skip
    /// midnight on the day they change their clocks).
    pub fn start_of(&self, date: Date) -> OffsetDateTime {
        let civil = jiff::civil::date(
            date.year() as i16,
            u8::from(date.month()) as i8,
            date.day() as i8,
        );
        match civil.to_zoned_datetime(self.zone.clone()) {
            Ok(zoned) => OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            Err(_) => date.midnight().assume_utc(),
        }
    }
}

/// The same day `months` calendar months later (the month's last day when it is shorter:
/// 31 January and one month is 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Date {
    let civil = jiff::civil::date(
        date.year() as i16,
        u8::from(date.month()) as i8,
        date.day() as i8,
    );
    civil
        .checked_add(jiff::Span::new().months(i64::from(months)))
        .ok()
        .and_then(|d| {
            let month = time::Month::try_from(d.month() as u8).ok()?;
            Date::from_calendar_date(i32::from(d.year()), month, d.day() as u8).ok()
        })
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn days_and_months_are_cut_in_the_providers_zone_across_daylight_saving() {
        let sydney = ProviderZone::parse("Australia/Sydney").unwrap();
        // 13:30 UTC on 31 October is 00:30 on 1 November in Sydney (AEDT, +11).
        let at = datetime!(2026-10-31 13:30 UTC);
        assert_eq!(sydney.date_of(at), date!(2026 - 11 - 01));
        assert_eq!(ProviderZone::utc().date_of(at), date!(2026 - 10 - 31));
        // Daylight saving starts on 4 October 2026 at 02:00 (+10 to +11): that day is 23
        // hours long, and it begins at 14:00 UTC the day before.
        assert_eq!(
            sydney.start_of(date!(2026 - 10 - 04)),
            datetime!(2026-10-03 14:00 UTC)
        );
        assert_eq!(
            sydney.start_of(date!(2026 - 10 - 05)),
            datetime!(2026-10-04 13:00 UTC)
        );
        assert_eq!(
            sydney
                .offset_at(datetime!(2026-10-03 16:00 UTC))
                .whole_hours(),
            11
        );
        assert_eq!(
            sydney
                .offset_at(datetime!(2026-10-03 15:59 UTC))
                .whole_hours(),
            10
        );
        // Paris in winter: 23:30 UTC on 30 November is already December there.
        let paris = ProviderZone::parse("Europe/Paris").unwrap();
        assert_eq!(
            paris.date_of(datetime!(2026-11-30 23:30 UTC)),
            date!(2026 - 12 - 01)
        );
        assert!(ProviderZone::parse("Mars/Olympus").is_err());
        assert_eq!(
            ProviderZone::parse("australia/sydney").unwrap().name(),
            "Australia/Sydney"
        );
        assert!(
            ProviderZone::parse("Sydney")
                .unwrap_err()
                .contains("did you mean Australia/Sydney?")
        );
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 11 - 15), 12), date!(2027 - 11 - 15));
        assert_eq!(add_months(date!(2026 - 11 - 15), 0), date!(2026 - 11 - 15));
        assert!(ProviderZone::parse("").is_err());
    }
}
