//! Dates in stored billing records as ISO 8601 text (`2026-11-30`), whatever the `time`
//! crate's own serde format: stored records must read the same in every version.

pub mod iso {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::format_description::well_known::Iso8601;

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&super::text(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, &Iso8601::DATE).map_err(serde::de::Error::custom)
    }
}

/// `2026-11-30`.
pub fn text(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A date written by [`text`].
pub fn parse(text: &str) -> Option<time::Date> {
    time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE).ok()
}

/// The same for an optional date (absent or null: None).
pub mod iso_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => serializer.collect_str(&super::text(*d)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => super::parse(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("not a date")),
            None => Ok(None),
        }
    }
}
