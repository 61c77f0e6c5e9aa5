//! What an order asks, kept as its parts (names, numbers) rather than as a sentence, so
//! that each reader gets it in their own language: the customer's page and mail in the
//! login's, the provider's copy and the console in staff's. The English sentence is also
//! stored on the order, for orders placed before the parts were kept.

use serde::{Deserialize, Serialize};

use super::settings::Feature;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Asked {
    BoltOn { name: String, on: String },
    BoltOnCancellation { name: String, on: String },
    Number { number: String, plan: String },
    Features { features: Vec<Feature>, on: String },
    EmergencyAddress { on: String },
    PortIn { number: String, from: String },
    NewService { plan: String },
}

impl Asked {
    /// The request in words, in `language` (English for any language without words).
    /// Numbers are kept as people read them (`+61 2 5550 1234`).
    pub fn words(&self, language: &str) -> String {
        let french = language == "fr";
        match self {
            Asked::BoltOn { name, on } if french => format!("Option {name} sur {on}"),
            Asked::BoltOn { name, on } => format!("Bolt-on {name} on {on}"),
            Asked::BoltOnCancellation { name, on } if french => {
                format!("Résiliation de l'option {name} sur {on}")
            }
            Asked::BoltOnCancellation { name, on } => format!("Cancel bolt-on {name} on {on}"),
            Asked::Number { number, plan } if french => format!("Numéro {number} avec {plan}"),
            Asked::Number { number, plan } => format!("Number {number} on {plan}"),
            Asked::Features { features, on } => {
                let names: Vec<&str> = features.iter().map(|f| feature_words(*f, french)).collect();
                if french {
                    format!("Modifier {} sur {on}", names.join(", "))
                } else {
                    format!("Change {} on {on}", names.join(", "))
                }
            }
            Asked::EmergencyAddress { on } if french => format!("Adresse d'urgence de {on}"),
            Asked::EmergencyAddress { on } => format!("Emergency address for {on}"),
            Asked::PortIn { number, from } if french => {
                format!("Portabilité de {number} depuis {from}")
            }
            Asked::PortIn { number, from } => format!("Port {number} in from {from}"),
            Asked::NewService { plan } if french => format!("Nouveau service avec {plan}"),
            Asked::NewService { plan } => format!("New service on {plan}"),
        }
    }
}

fn feature_words(feature: Feature, french: bool) -> &'static str {
    match (feature, french) {
        (Feature::CallForwarding, false) => "call forwarding",
        (Feature::Failover, false) => "failover",
        (Feature::CallerIdName, false) => "caller ID name",
        (Feature::FaxToEmail, false) => "fax to email",
        (Feature::Conference, false) => "conference",
        (Feature::CallForwarding, true) => "le renvoi d'appel",
        (Feature::Failover, true) => "le secours",
        (Feature::CallerIdName, true) => "le nom affiché",
        (Feature::FaxToEmail, true) => "le fax vers e-mail",
        (Feature::Conference, true) => "la conférence",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_reads_in_english_and_french() {
        let asked = Asked::Features {
            features: vec![Feature::CallForwarding, Feature::FaxToEmail],
            on: "+61 2 5550 1234".into(),
        };
        assert_eq!(
            asked.words("en"),
            "Change call forwarding, fax to email on +61 2 5550 1234"
        );
        assert_eq!(
            asked.words("fr"),
            "Modifier le renvoi d'appel, le fax vers e-mail sur +61 2 5550 1234"
        );
        let port = Asked::PortIn {
            number: "+61 2 5550 9999".into(),
            from: "Telstra".into(),
        };
        assert_eq!(
            port.words("fr"),
            "Portabilité de +61 2 5550 9999 depuis Telstra"
        );
        // A language without words reads in English.
        assert_eq!(port.words("de"), "Port +61 2 5550 9999 in from Telstra");
    }
}
