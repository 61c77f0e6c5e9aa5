//! A problem's detail and field messages in French: the sentences the domain writes in
//! English, matched as templates. A message's numbers and quoted values (`"02 555"`,
//! `2026-12-01`, `128`) are taken out, the rest looked up, and they are put back in the
//! same order, so `use at least 12 characters` and `use at least 8 characters` are one
//! entry. A message without an entry stays in English; a test checks that every entry's
//! English is still written somewhere in the code, so a reworded message cannot leave a
//! stale translation behind.

/// English template (numbers as `{n}`, quoted values as `{q}`) → French, same order.
const FRENCH: &[(&str, &str)] = &[
    // Account details, contacts and addresses.
    (
        "give a name of {n} to {n} characters",
        "indiquez un nom de {n} à {n} caractères",
    ),
    (
        "at most {n} phone numbers",
        "au plus {n} numéros de téléphone",
    ),
    (
        "give {n} to {n} email addresses",
        "indiquez {n} à {n} adresses e-mail",
    ),
    (
        "this provider has no such attribute",
        "ce fournisseur n'a pas cet attribut",
    ),
    ("this attribute is required", "cet attribut est obligatoire"),
    (
        "an email address has at most {n} characters",
        "une adresse e-mail a au plus {n} caractères",
    ),
    (
        "{q} is not an email address (no @)",
        "{q} n'est pas une adresse e-mail (pas de @)",
    ),
    (
        "{q} is not an email address",
        "{q} n'est pas une adresse e-mail",
    ),
    (
        "{q} is not a phone number we can call: write it as you dial it, or as +{n} {n} {n} {n}",
        "{q} n'est pas un numéro que l'on peut appeler : écrivez-le comme vous le composez, ou sous la forme +{n} {n} {n} {n}",
    ),
    (
        "{q} is not a phone number in international form, like +{n} {n} {n} {n}",
        "{q} n'est pas un numéro au format international, comme +{n} {n} {n} {n}",
    ),
    (
        "give {n} to {n} address lines of up to {n} characters",
        "indiquez {n} à {n} lignes d'adresse de {n} caractères au plus",
    ),
    (
        "give the town or city (up to {n} characters)",
        "indiquez la ville ({n} caractères au plus)",
    ),
    (
        "give an ISO {n}-{n} alpha-{n} country code, like AU",
        "indiquez le code pays ISO {n}-{n} alpha-{n}, comme FR",
    ),
    ("two letters, such as US", "deux lettres, comme US"),
    // Lengths and amounts, wherever they are.
    ("at most {n} characters", "au plus {n} caractères"),
    ("up to {n} characters", "jusqu'à {n} caractères"),
    ("{n} to {n} characters", "{n} à {n} caractères"),
    ("a date such as {n}-{n}-{n}", "une date comme {n}-{n}-{n}"),
    (
        "a whole number above {n}",
        "un nombre entier supérieur à {n}",
    ),
    ("more than zero", "plus que zéro"),
    ("zero or more", "zéro ou plus"),
    // Logins and passwords.
    (
        "use {n} to {n} letters, digits, and . _ - @",
        "utilisez {n} à {n} lettres, chiffres, et . _ - @",
    ),
    (
        "use at least {n} characters",
        "utilisez au moins {n} caractères",
    ),
    (
        "use at most {n} characters",
        "utilisez au plus {n} caractères",
    ),
    (
        "this password is too common; choose another",
        "ce mot de passe est trop courant : choisissez-en un autre",
    ),
    (
        "do not use your username, email or name as your password",
        "n'utilisez pas votre nom d'utilisateur, votre e-mail ou votre nom comme mot de passe",
    ),
    (
        "this is not your current password",
        "ce n'est pas votre mot de passe actuel",
    ),
    ("one of en, fr", "en ou fr"),
    (
        "the customer chooses their own language",
        "le client choisit sa propre langue",
    ),
    (
        "{q} belongs to another login; choose another.",
        "{q} appartient à un autre identifiant : choisissez-en un autre.",
    ),
    (
        "not a login of this account",
        "ce n'est pas un identifiant de ce compte",
    ),
    ("up to {n} logins", "jusqu'à {n} identifiants"),
    ("Try again in {n} seconds.", "Réessayez dans {n} secondes."),
    (
        "Sign in, or ask for a new link.",
        "Connectez-vous, ou demandez un nouveau lien.",
    ),
    (
        "Sign in again with your password.",
        "Reconnectez-vous avec votre mot de passe.",
    ),
    (
        "Your provider has made the account inactive; contact them to open it again.",
        "Votre fournisseur a désactivé le compte : contactez-le pour le rouvrir.",
    ),
    (
        "Sign in with your password for the rest of the portal.",
        "Connectez-vous avec votre mot de passe pour le reste du portail.",
    ),
    (
        "The account's owner manages its logins; staff do it from the console.",
        "Le titulaire du compte gère ses identifiants ; le personnel le fait depuis la console.",
    ),
    // Two-factor sign-in.
    (
        "this code is wrong, expired or already used; wait for the next one",
        "ce code est faux, expiré ou déjà utilisé : attendez le suivant",
    ),
    ("this code was already used", "ce code a déjà servi"),
    (
        "this is not the app's current code; check the device's clock and try again",
        "ce n'est pas le code actuel de l'application : vérifiez l'heure de l'appareil et réessayez",
    ),
    (
        "this recovery code is wrong or already used",
        "ce code de secours est faux ou a déjà servi",
    ),
    (
        "two-factor sign-in is off for this login",
        "la double authentification est désactivée pour cet identifiant",
    ),
    // Orders and services.
    (
        "Your provider does not take orders for numbers here.",
        "Votre fournisseur ne prend pas de commandes de numéros ici.",
    ),
    (
        "Your provider does not take orders for ports here.",
        "Votre fournisseur ne prend pas de demandes de portabilité ici.",
    ),
    (
        "Your provider does not take orders for new services here.",
        "Votre fournisseur ne prend pas de commandes de nouveaux services ici.",
    ),
    (
        "Your provider does not take orders for emergency addresses here.",
        "Votre fournisseur ne prend pas de commandes d'adresses d'urgence ici.",
    ),
    (
        "+{n} was taken or is not offered; search again.",
        "+{n} a été pris ou n'est pas proposé : cherchez à nouveau.",
    ),
    (
        "at most {n} logins of an account get this mail",
        "au plus {n} identifiants d'un compte reçoivent ces e-mails",
    ),
    (
        "this bolt-on is not offered on the service's plan",
        "cette option n'est pas proposée avec le forfait du service",
    ),
    (
        "this bolt-on is no longer offered on the service's plan",
        "cette option n'est plus proposée avec le forfait du service",
    ),
    (
        "this bolt-on does not attach to the service's plan",
        "cette option ne va pas avec le forfait du service",
    ),
    ("the service already has it", "le service l'a déjà"),
    ("the service does not have it", "le service ne l'a pas"),
    (
        "it has a minimum term until {n}-{n}-{n}",
        "elle a une durée minimale jusqu'au {n}-{n}-{n}",
    ),
    (
        "the number has these already",
        "le numéro a déjà ces réglages",
    ),
    (
        "your provider does not let customers change this",
        "votre fournisseur ne permet pas aux clients de modifier ceci",
    ),
    (
        "this is not a voice service",
        "ce n'est pas un service de téléphonie",
    ),
    ("this service is cancelled", "ce service est résilié"),
    (
        "the service is no longer on the account",
        "le service n'est plus sur le compte",
    ),
    (
        "no such service on your account",
        "pas de tel service sur votre compte",
    ),
    ("no such bolt-on", "pas de telle option"),
    ("no such plan", "pas de tel forfait"),
    ("not a service id", "ce n'est pas un identifiant de service"),
    ("not a bolt-on id", "ce n'est pas un identifiant d'option"),
    ("not a plan id", "ce n'est pas un identifiant de forfait"),
    (
        "a number needs a voice plan",
        "un numéro demande un forfait de téléphonie",
    ),
    (
        "a resubmitted order keeps its kind",
        "une commande renvoyée garde son type",
    ),
    (
        "{n} to {n} letters and digits",
        "{n} à {n} lettres et chiffres",
    ),
    // Usage alerts and cost centres.
    (
        "a spend alert covers every usage type",
        "une alerte de dépense couvre tous les types d'usage",
    ),
    (
        "say which usage type: call, message, data",
        "indiquez le type d'usage : appel, message, données",
    ),
    (
        "no such cost centre on this account",
        "pas de tel centre de coûts sur ce compte",
    ),
    // Bills and payments.
    (
        "not an invoice of this account",
        "ce n'est pas une facture de ce compte",
    ),
    (
        "this login's role does not read bills",
        "le rôle de cet identifiant ne permet pas de lire les factures",
    ),
    (
        "more than zero and at most what the invoice owes",
        "plus que zéro et au plus ce que la facture doit",
    ),
    (
        "more than zero, at most {n},{n},{n}.{n}",
        "plus que zéro, au plus {n} {n} {n},{n}",
    ),
    (
        "at most {n} cards: remove one first",
        "au plus {n} cartes : retirez-en une d'abord",
    ),
    (
        "the card was not saved: try again",
        "la carte n'a pas été enregistrée : réessayez",
    ),
    (
        "Autopay stays on, with at least one card; add another card before removing this one.",
        "Le prélèvement automatique reste actif avec au moins une carte : ajoutez-en une autre avant de retirer celle-ci.",
    ),
    (
        "The provider has not connected a payment account yet.",
        "Le fournisseur n'a pas encore relié de compte de paiement.",
    ),
    (
        "Invoices, payments and balances are in the currency they were issued in.",
        "Factures, paiements et soldes restent dans la devise de leur émission.",
    ),
    (
        "Quote the x-request-id header of this response when you contact support.",
        "Citez l'en-tête x-request-id de cette réponse en contactant l'assistance.",
    ),
];

/// What a message is made of: its words, with the numbers and quoted values apart.
fn template(message: &str) -> (String, Vec<&str>) {
    let mut words = String::with_capacity(message.len());
    let mut values = Vec::new();
    let bytes = message.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i] == b'"' {
            if let Some(end) = message[i + 1..].find('"') {
                i += end + 2;
                values.push(&message[start..i]);
                words.push_str("{q}");
                continue;
            }
        } else if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            values.push(&message[start..i]);
            words.push_str("{n}");
            continue;
        }
        let c = message[i..].chars().next().unwrap_or(' ');
        words.push(c);
        i += c.len_utf8();
    }
    (words, values)
}

/// `message` in French, when it has an entry.
pub fn french(message: &str) -> Option<String> {
    let (words, values) = template(message);
    let (_, french) = FRENCH.iter().find(|(english, _)| *english == words)?;
    let mut out = String::with_capacity(french.len() + message.len());
    let mut values = values.into_iter();
    let mut rest = *french;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let slot = &rest[at..];
        if slot.starts_with("{n}") || slot.starts_with("{q}") {
            out.push_str(values.next()?);
            rest = &rest[at + 3..];
        } else {
            out.push('{');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_in_french_with_its_own_numbers_and_values() {
        assert_eq!(
            french("use at least 12 characters").as_deref(),
            Some("utilisez au moins 12 caractères")
        );
        assert_eq!(
            french("it has a minimum term until 2027-03-01").as_deref(),
            Some("elle a une durée minimale jusqu'au 2027-03-01")
        );
        assert_eq!(
            french("\"02 555\" is not a phone number we can call: write it as you dial it, or as +61 2 9876 5432").as_deref(),
            Some("\"02 555\" n'est pas un numéro que l'on peut appeler : écrivez-le comme vous le composez, ou sous la forme +61 2 9876 5432")
        );
        assert_eq!(
            french("+61255507001 was taken or is not offered; search again.").as_deref(),
            Some("+61255507001 a été pris ou n'est pas proposé : cherchez à nouveau.")
        );
        assert_eq!(french("a sentence nobody wrote"), None);
    }

    #[test]
    fn each_entry_has_as_many_values_in_french_as_in_english() {
        for (english, french) in FRENCH {
            let count = |s: &str| s.matches("{n}").count() + s.matches("{q}").count();
            assert_eq!(count(english), count(french), "{english}");
        }
    }

    /// Every entry's English is still written in the code (its fixed words, between the
    /// values), so rewording a message in the domain fails here until its French follows.
    #[test]
    fn every_entry_is_a_message_the_code_still_writes() {
        let mut code = String::new();
        let mut folders = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("message_words.rs")
                {
                    // Joined as the compiler joins `\`-continued string lines.
                    let text = std::fs::read_to_string(&path).unwrap();
                    code.push_str(&text.replace("\\\n", "").replace("  ", " "));
                }
            }
        }
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        let stale: Vec<&str> = FRENCH
            .iter()
            .map(|(english, _)| *english)
            .filter(|english| {
                english
                    .split(['{', '}'])
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 0)
                    .map(|(_, words)| words.trim())
                    .filter(|words| words.len() > 3)
                    .any(|words| !code.contains(words))
            })
            .collect();
        assert!(stale.is_empty(), "{stale:#?}");
    }
}
