//! The rules. One module per capability; nothing here knows HTTP or AWS.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod branding;
pub mod calendar;
pub mod catalogue;
pub mod contact;
pub mod cost_centres;
pub mod identity;
pub mod notifications;
pub mod onboarding;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod payments;
pub mod service_groups;
pub mod services;
pub mod settings;
pub mod tenancy;
pub mod usage;

/// Field-level reasons a request was refused, all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(pub Vec<(String, String)>);

impl Violations {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Ok when there are none.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self
            .0
            .iter()
            .map(|(field, m)| format!("{field}: {m}"))
            .collect();
        f.write_str(&text.join("; "))
    }
}
