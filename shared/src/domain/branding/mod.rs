//! A provider's look on its portal: a brand colour (checked so text on it and links in it
//! stay readable, WCAG 2.2 AA: 4.5:1), its own stylesheet, and the sites allowed to frame
//! the portal. The logo and contact details are part of the access settings (mail uses
//! them too); the public branding joins both.

pub mod stylesheet;

use crate::domain::Violations;
use crate::ids::TenantId;
use crate::ports::table::{Key, Table, TableError};
use crate::store::Stamp;
use crate::store::{self, keys};

/// The most a provider's stylesheet may hold.
pub const MAX_CSS_BYTES: usize = 64 * 1024;
/// The contrast WCAG 2.2 AA asks of normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// The surface the brand colour is read on (links, quiet buttons): the sites' white.
const SURFACE: (u8, u8, u8) = (0xff, 0xff, 0xff);

#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct Branding {
    /// `#0b5cad`: buttons, links, the current menu item.
    pub brand_colour: Option<String>,
    /// The provider's own stylesheet, applied after the sites' (up to 64 KB).
    pub css: Option<String>,
    /// Origins allowed to show the portal in a frame (`https://www.acme.example`).
    pub frame_ancestors: Vec<String>,
    /// The provider's own sites whose pages may call the API from the browser (CORS):
    /// `https://www.acme.example`, or `http://localhost:5173` on a developer's machine.
    /// Those pages sign in with bearer sessions; cookies are never allowed across sites.
    pub api_origins: Vec<String>,
}

/// An origin as a browser sends it: `https://host[:port]`, or plain http on this machine
/// (`localhost`, `*.localhost`, `127.0.0.1`) when `loopback_http`; lower case, no path.
pub fn is_origin(origin: &str, loopback_http: bool) -> bool {
    let host = match origin.strip_prefix("https://") {
        Some(host) => host,
        None => match origin.strip_prefix("http://") {
            Some(host) if loopback_http => {
                let name = host.split(':').next().unwrap_or("");
                if !(name == "localhost" || name.ends_with(".localhost") || name == "127.0.0.1") {
                    return false;
                }
                host
            }
            _ => return false,
        },
    };
    !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':')
        })
}

fn parse_hex(colour: &str) -> Option<(u8, u8, u8)> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// WCAG's relative luminance of an sRGB colour.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// WCAG's contrast ratio of two colours, 1 to 21.
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

/// The text colour to put on the brand colour: white or black, whichever reads better.
pub fn on_brand(colour: &str) -> Option<&'static str> {
    let c = parse_hex(colour)?;
    if contrast(c, (0xff, 0xff, 0xff)) >= contrast(c, (0, 0, 0)) {
        Some("#ffffff")
    } else {
        Some("#000000")
    }
}

impl Branding {
    /// Normalises (colours in lower case) and checks; every refusal at once.
    pub fn checked(mut self) -> Result<Branding, Violations> {
        let mut v = Violations::default();
        if let Some(colour) = &self.brand_colour {
            let colour = colour.trim().to_ascii_lowercase();
            match parse_hex(&colour) {
                None => v.add("/brand_colour", "a colour such as #0b5cad"),
                Some(c) => {
                    let ratio = contrast(c, SURFACE);
                    if ratio < MIN_CONTRAST {
                        v.add(
                            "/brand_colour",
                            format!(
                                "links and buttons in {colour} on white would have a contrast of \
                                 {ratio:.2}:1; readable text needs {MIN_CONTRAST}:1: choose a \
                                 darker shade"
                            ),
                        );
                    }
                }
            }
            self.brand_colour = Some(colour);
        }
        if let Some(css) = &self.css {
            if css.len() > MAX_CSS_BYTES {
                v.add("/css", "at most 64 KB");
            } else if let Err(why) = stylesheet::check(css) {
                v.add("/css", why);
            }
        }
        if self.frame_ancestors.len() > 10 {
            v.add("/frame_ancestors", "at most 10 origins");
        }
        for (i, origin) in self.frame_ancestors.iter().enumerate() {
            if !is_origin(&origin.to_ascii_lowercase(), false) {
                v.add(
                    format!("/frame_ancestors/{i}"),
                    "an https origin such as https://www.acme.example",
                );
            }
        }
        if self.api_origins.len() > 10 {
            v.add("/api_origins", "at most 10 origins");
        }
        self.api_origins = self
            .api_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .collect();
        for (i, origin) in self.api_origins.iter().enumerate() {
            if !is_origin(origin, true) {
                v.add(
                    format!("/api_origins/{i}"),
                    "an https origin such as https://www.acme.example (http only for localhost)",
                );
            }
        }
        v.into_result()?;
        Ok(self)
    }

    /// The stylesheet a site applies: the brand colour as the sites' custom properties,
    /// then the provider's own rules.
    pub fn stylesheet(&self) -> String {
        let mut out = String::new();
        if let Some(colour) = &self.brand_colour
            && let Some(text) = on_brand(colour)
        {
            out.push_str(&format!(
                ":root {{ --sc-brand: {colour}; --sc-on-brand: {text}; }}\n"
            ));
        }
        if let Some(css) = &self.css {
            out.push_str(css);
            out.push('\n');
        }
        out
    }
}

fn key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "SETTINGS#BRANDING")
}

pub async fn read(table: &dyn Table, tenant: &TenantId) -> Result<Branding, TableError> {
    store::read_settings(table, &key(tenant), "branding").await
}

pub async fn write(
    table: &dyn Table,
    tenant: &TenantId,
    branding: &Branding,
    now: time::OffsetDateTime,
    stamp: &Stamp,
) -> Result<(), TableError> {
    store::write_settings(
        table,
        &key(tenant),
        "branding",
        branding,
        now,
        stamp.writes(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        // #767676 on white is the well-known lightest grey that passes AA (4.54:1).
        assert!((contrast((0x76, 0x76, 0x76), SURFACE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn unreadable_brand_colours_are_refused_and_text_on_them_is_chosen() {
        let yellow = Branding {
            brand_colour: Some("#FFCC00".into()),
            ..Branding::default()
        };
        let refused = yellow.checked().unwrap_err();
        assert!(refused.0[0].1.contains("1.51:1"), "{refused}");
        let purple = Branding {
            brand_colour: Some("#5B2A86".into()),
            ..Branding::default()
        }
        .checked()
        .unwrap();
        assert_eq!(purple.brand_colour.as_deref(), Some("#5b2a86"));
        assert_eq!(on_brand("#5b2a86"), Some("#ffffff"));
        assert_eq!(on_brand("#ffcc00"), Some("#000000"));
        assert!(
            purple
                .stylesheet()
                .contains("--sc-brand: #5b2a86; --sc-on-brand: #ffffff;")
        );
    }

    #[test]
    fn stylesheets_and_frame_origins_are_checked() {
        let bad = Branding {
            brand_colour: None,
            css: Some("@import url(https://evil.example/x.css);".into()),
            frame_ancestors: vec![
                "http://www.acme.example".into(),
                "https://ok.example".into(),
                "http://localhost:5173".into(),
            ],
            api_origins: vec![
                "http://localhost:5173".into(),
                "http://127.0.0.1:8080".into(),
                "http://dev.localhost".into(),
                "http://localhost.evil.example".into(),
                "https://shop.acme.example".into(),
                "https://shop.acme.example/path".into(),
            ],
        }
        .checked()
        .unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "/css",
                "/frame_ancestors/0",
                "/frame_ancestors/2",
                "/api_origins/3",
                "/api_origins/5"
            ]
        );
    }
}
