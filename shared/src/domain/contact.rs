//! Validated contact details: email addresses, phone numbers, postal addresses.
//! Fields are private; `parse` is the only way in.

use std::fmt;

/// An email address, trimmed, its domain lower-cased. Deliberately permissive on the local
/// part (providers' customers have odd addresses); strict on shape.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() > 254 {
            return Err("an email address has at most 254 characters".into());
        }
        let (local, domain) = text
            .rsplit_once('@')
            .ok_or_else(|| format!("{text:?} is not an email address (no @)"))?;
        let bad_local = local.is_empty()
            || local.len() > 64
            || local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\"[]\\@".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let bad_domain = labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if bad_local || bad_domain {
            return Err(format!("{text:?} is not an email address"));
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to find an account by email: the whole address lower-cased.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number, kept in E.164 form (`+61298765432`), checked and formatted by
/// libphonenumber's rules (the `phonenumber` port) rather than rules of our own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// A number in international form, valid for its country.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_in(text, None)
    }

    /// A number as people write it: in international form anywhere, or in national form
    /// (`02 9876 5432`) when `region` (the provider's country, ISO 3166-1 alpha-2) is known.
    pub fn parse_in(text: &str, region: Option<&str>) -> Result<Self, String> {
        let country = region.and_then(|r| {
            r.trim()
                .to_uppercase()
                .parse::<phonenumber::country::Id>()
                .ok()
        });
        let refused = || match country {
            Some(_) => format!(
                "{text:?} is not a phone number we can call: write it as you dial it, or as +61 2 9876 5432"
            ),
            None => format!(
                "{text:?} is not a phone number in international form, like +61 2 9876 5432"
            ),
        };
        if text.chars().filter(char::is_ascii_digit).count() > 17 || text.len() > 40 {
            return Err(refused());
        }
        let number = phonenumber::parse(country, text.trim()).map_err(|_| refused())?;
        if !phonenumber::is_valid(&number) {
            return Err(refused());
        }
        Ok(PhoneNumber(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// A number this product stored (already checked when it was given).
    pub fn stored(e164: &str) -> Self {
        PhoneNumber(e164.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For people: `+61 2 9876 5432`.
    pub fn for_people(&self) -> String {
        for_people(&self.0)
    }
}

/// An E.164 number spaced as its country writes it (`+61 2 9876 5432`); anything that is
/// no phone number (a circuit id) comes back as it is.
pub fn for_people(text: &str) -> String {
    if !text.starts_with('+') {
        return text.to_owned();
    }
    match phonenumber::parse(None, text) {
        Ok(number) => number
            .format()
            .mode(phonenumber::Mode::International)
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

/// The country (ISO 3166-1 alpha-2) of an E.164 number, as its numbering plan says (a
/// +1 416 number is Canada's, a +1 212 one the United States'); none for anything that is
/// no phone number.
pub fn country_of(text: &str) -> Option<String> {
    if !text.starts_with('+') {
        return None;
    }
    let number = phonenumber::parse(None, text).ok()?;
    let id = number.country().id()?;
    Some(AsRef::<str>::as_ref(&id).to_owned())
}

/// A postal address. The country is an ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    lines: Vec<String>,
    locality: String,
    region: Option<String>,
    postcode: Option<String>,
    country: String,
}

/// A postal address as a client sends it, before validation.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct PostalAddressInput {
    pub lines: Vec<String>,
    pub locality: String,
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `AU`.
    pub country: String,
}

impl PostalAddress {
    /// Validates; errors name the field (relative to the address).
    pub fn parse(input: &PostalAddressInput) -> Result<Self, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let lines: Vec<String> = input
            .lines
            .iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() || lines.len() > 4 || lines.iter().any(|l| l.chars().count() > 100) {
            errors.push((
                "lines".into(),
                "give 1 to 4 address lines of up to 100 characters".into(),
            ));
        }
        let locality = input.locality.trim().to_owned();
        if locality.is_empty() || locality.chars().count() > 100 {
            errors.push((
                "locality".into(),
                "give the town or city (up to 100 characters)".into(),
            ));
        }
        let country = input.country.trim().to_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push((
                "country".into(),
                "give an ISO 3166-1 alpha-2 country code, like AU".into(),
            ));
        }
        let optional = |value: &Option<String>, field: &str, errors: &mut Vec<(String, String)>| {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            if value.is_some_and(|v| v.chars().count() > 40) {
                errors.push((field.into(), "at most 40 characters".into()));
            }
            value.map(str::to_owned)
        };
        let region = optional(&input.region, "region", &mut errors);
        let postcode = optional(&input.postcode, "postcode", &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PostalAddress {
            lines,
            locality,
            region,
            postcode,
            country,
        })
    }

    pub fn to_input(&self) -> PostalAddressInput {
        PostalAddressInput {
            lines: self.lines.clone(),
            locality: self.locality.clone(),
            region: self.region.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_number_belongs_to_its_numbering_plans_country() {
        assert_eq!(country_of("+61255501234").as_deref(), Some("AU"));
        assert_eq!(country_of("+14165550123").as_deref(), Some("CA"));
        assert_eq!(country_of("+12125550123").as_deref(), Some("US"));
        assert_eq!(country_of("CIRCUIT-42"), None);
    }

    use super::*;

    #[test]
    fn email_addresses_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Jo.Bloggs+bills@Example.COM ")
                .unwrap()
                .as_str(),
            "Jo.Bloggs+bills@example.com"
        );
        for bad in [
            "",
            "jo",
            "jo@",
            "@example.com",
            "jo@example",
            "jo@exa mple.com",
            "a b@example.com",
            "jo@-x.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phone_numbers_are_international_or_national_in_the_providers_country() {
        assert_eq!(
            PhoneNumber::parse("+61 (2) 9876-5432").unwrap().as_str(),
            "+61298765432"
        );
        let national = PhoneNumber::parse_in("(02) 9876 5432", Some("au")).unwrap();
        assert_eq!(national.as_str(), "+61298765432");
        assert_eq!(national.for_people(), "+61 2 9876 5432");
        assert_eq!(
            PhoneNumber::parse_in("0412 555 678", Some("AU"))
                .unwrap()
                .as_str(),
            "+61412555678"
        );
        assert_eq!(
            PhoneNumber::parse_in("+44 20 7946 0958", Some("AU"))
                .unwrap()
                .as_str(),
            "+442079460958",
            "international numbers stay welcome"
        );
        assert_eq!(for_people("CIRCUIT-42"), "CIRCUIT-42");
        assert!(
            PhoneNumber::parse_in("02 9876 543", Some("AU")).is_err(),
            "a digit short"
        );
        for bad in [
            "02 9876 5432",
            "+12",
            "+61 2 9876 543x",
            "+1234567890123456",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_postal_address_needs_a_line_a_locality_and_a_country() {
        let errors = PostalAddress::parse(&PostalAddressInput::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["lines", "locality", "country"]);
        let ok = PostalAddress::parse(&PostalAddressInput {
            lines: vec!["1 Harbour St".into()],
            locality: "Sydney".into(),
            region: Some("NSW".into()),
            postcode: Some("2000".into()),
            country: "au".into(),
        })
        .unwrap();
        assert_eq!(ok.to_input().country, "AU");
    }
}
