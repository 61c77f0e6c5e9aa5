//! Problems in the login's language: a site sends `Accept-Language` (the login's own
//! language) and a problem comes back in it: its title chosen by the problem's stable type,
//! its detail and field messages by their words (`message_words`; a sentence without an
//! entry stays English). English is the default and needs no table.

use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::Response;

/// The French title of a problem type, when there is one.
fn french(problem_type: &str) -> Option<&'static str> {
    Some(match problem_type.strip_prefix("/problems/")? {
        "route-not-found" => "Cette adresse n'existe pas",
        "method-not-allowed" => "Cette action n'est pas possible ici",
        "not-found" => "Introuvable",
        "validation" => "Certains champs sont à corriger",
        "conflict" => "Quelqu'un a changé cela entre-temps",
        "link-expired-or-invalid" => "Ce lien a expiré ou n'est pas valable",
        "malformed-body" => "La demande est mal formée",
        "malformed-query" => "Les paramètres de la demande sont mal formés",
        "invalid-cursor" => "Cette page de la liste n'est plus valable",
        "tenant-unknown" => "Aucun fournisseur ne répond à cette adresse",
        "unauthenticated" => "Vous n'êtes pas connecté, ou votre session a pris fin",
        "invalid-credentials" => "Le nom d'utilisateur ou le mot de passe est incorrect",
        "login-locked" => "Cet identifiant est bloqué",
        "account-inactive" => "Ce compte est désactivé",
        "too-many-attempts" => "Trop de tentatives : réessayez plus tard",
        "link-unusable" => "Ce lien a déjà servi ou a expiré",
        "username-taken" => "Ce nom d'utilisateur est déjà pris",
        "csrf-token-missing" => "La demande n'a pas pu être vérifiée",
        "read-only-session" => "Cette session est en lecture seule",
        "sign-in-challenge-unusable" => "Cette étape de connexion a expiré : reconnectez-vous",
        "card-pages-only" => "Ce lien ouvre seulement les pages de paiement",
        "order-already-open" => "Une commande identique est déjà en cours",
        "export-too-large" => "Trop d'entrées pour un seul fichier",
        "ingest-not-stopped" => "Seul un chargement arrêté peut être relancé",
        "ingest-file-gone" => "Le fichier n'est plus dans le compartiment",
        "origin-not-allowed" => "Les pages de ce site ne peuvent pas appeler l'API",
        "two-factor-enrolment-required" => "Activez d'abord la double authentification",
        "portal-only" => "Ceci se fait sur le portail",
        "console-only" => "Ceci se fait dans la console",
        "permission-missing" => "Votre rôle ne permet pas ceci",
        "permission-not-grantable" => "Vous ne pouvez pas accorder ces droits",
        "staff-beyond-reach" => "Ce membre du personnel a plus de droits que vous",
        "impersonation-cannot-manage-logins" => {
            "Les identifiants ne se gèrent pas en tant que client"
        }
        "action-not-allowed" => "Votre rôle ne permet pas ceci",
        "field-not-editable" => "Votre fournisseur ne permet pas de modifier ces champs",
        "module-disabled" => "Cette partie du portail n'est pas activée",
        "forbidden" => "Ceci n'est pas permis",
        "account-number-taken" => "Ce numéro de compte est déjà pris",
        "kind-immutable" => "Le type d'un compte ne change pas",
        "deletion-refused" => "Un compte ne se supprime pas : désactivez-le",
        "wrong-tenant-kind" => "Les comptes appartiennent aux revendeurs",
        "too-many-cost-centres" => "Ce compte a déjà tous ses centres de coûts",
        "nothing-to-bill" => "Il n'y a rien à facturer",
        "currency-mismatch" => "Un forfait ou une option est dans une autre devise",
        "invoice-too-long" => "Cette facture est trop longue",
        "payment-reference-used" => "Cette référence de paiement est déjà utilisée",
        "currency-fixed" => "La devise ne change plus après la première facture",
        "charge-invoiced" => "Ces frais sont déjà facturés",
        "report-not-granted" => "Ce rapport ne vous est pas ouvert",
        "bill-run-running" => "La facturation est déjà en cours",
        "payments-not-set-up" => "Les paiements par carte ne sont pas en place",
        "nothing-owed" => "Il ne reste rien à payer",
        "autopay-required" => "Le prélèvement automatique est obligatoire",
        "no-card" => "Enregistrez d'abord une carte",
        "not-refundable" => "Ce paiement ne peut pas être remboursé",
        "not-retryable" => "Ce paiement ne peut pas être retenté",
        "gateway-keys-refused" => "La passerelle refuse ces clés",
        "card-declined" => "La carte a été refusée",
        "gateway-refused" => "La passerelle a refusé la demande",
        "gateway-unavailable" => "La passerelle ne répond pas : réessayez",
        "webhook-signature-invalid" => "La signature est invalide",
        "webhook-not-an-event" => "Ce n'est pas un événement",
        "stale-version" => "Quelqu'un a changé cela entre-temps",
        "idempotency-key-reused" => "Cette clé a servi pour une autre demande",
        "order-not-offered" => "Votre fournisseur ne prend pas cette commande",
        "number-unavailable" => "Ce numéro n'est plus disponible",
        "order-state" => "La commande n'en est plus là",
        "identifier-taken" => "Ce numéro ou identifiant est déjà utilisé",
        "unavailable" => "Le service est momentanément indisponible : réessayez",
        "internal" => "Une erreur de notre côté",
        _ => return None,
    })
}

/// The language asked for: the first tag of `Accept-Language` we have words for.
fn asked_language(request: &Request<Body>) -> Option<&'static str> {
    let accepted = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)?
        .to_str()
        .ok()?;
    accepted
        .split(',')
        .map(|tag| {
            tag.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .find_map(|tag| match tag.split('-').next() {
            Some("fr") => Some("fr"),
            Some("en") => Some("en"),
            _ => None,
        })
}

fn translate(text: &mut serde_json::Value) {
    if let Some(words) = text.as_str().and_then(super::message_words::french) {
        *text = serde_json::Value::from(words);
    }
}

/// The most of a problem body that is read to put its title in the asked language.
const MOST: usize = 64 * 1024;

/// Puts a problem's title in the language `Accept-Language` asks for.
pub async fn in_asked_language(request: Request<Body>, next: Next) -> Response {
    let language = asked_language(&request);
    let response = next.run(request).await;
    if language != Some("fr") {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MOST).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let translated = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|mut problem| {
            let title = french(problem.get("type")?.as_str()?)?;
            problem["title"] = serde_json::Value::from(title);
            if let Some(detail) = problem.get_mut("detail") {
                translate(detail);
            }
            if let Some(errors) = problem.get_mut("errors").and_then(|e| e.as_array_mut()) {
                for error in errors {
                    if let Some(message) = error.get_mut("message") {
                        translate(message);
                    }
                }
            }
            serde_json::to_vec(&problem).ok()
        });
    match translated {
        Some(body) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts
                .headers
                .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("fr"));
            Response::from_parts(parts, Body::from(body))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::french;

    #[test]
    fn every_problem_type_of_the_conventions_page_has_french_words() {
        let page = include_str!("../../../docs/http-conventions.md");
        let types: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .filter(|t| t.starts_with("/problems/"))
            .collect();
        assert!(types.len() > 50, "{types:?}");
        let missing: Vec<&&str> = types.iter().filter(|t| french(t).is_none()).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
