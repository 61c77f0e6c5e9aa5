//! The Mailer contract: what is sent arrives byte for byte.

use selfcare::ports::mailer::{MailError, OutgoingMail};

use crate::support::MailFixture;

crate::contract!(mailer:
    a_message_is_sent_byte_for_byte,
    a_message_without_recipients_is_rejected,
);

fn message(from: &str, to: &str, subject: &str) -> Vec<u8> {
    mail_builder::MessageBuilder::new()
        .from(("Acme Telecom", from))
        .to(to)
        .subject(subject)
        .text_body("Hello from the portal.")
        .html_body("<p>Hello from the portal.</p>")
        .write_to_vec()
        .unwrap()
}

async fn a_message_is_sent_byte_for_byte(f: &MailFixture) {
    let raw = message(&f.sender, "jo@customer.example", "Your portal access");
    let mail = OutgoingMail {
        from: f.sender.clone(),
        to: vec!["jo@customer.example".into()],
        raw: raw.clone(),
    };
    let id = f.mailer.send(&mail).await.unwrap();
    assert!(!id.is_empty());
    let sent = (f.sent)(id).await.expect("the message was recorded");
    let text = String::from_utf8_lossy(&sent);
    assert!(text.contains("Subject: Your portal access"), "{text}");
    assert!(text.contains("Hello from the portal."));
    assert_eq!(
        String::from_utf8_lossy(&raw).replace("\r\n", "\n").trim(),
        text.replace("\r\n", "\n").trim()
    );
}

async fn a_message_without_recipients_is_rejected(f: &MailFixture) {
    let mail = OutgoingMail {
        from: f.sender.clone(),
        to: vec![],
        raw: message(&f.sender, "nobody@customer.example", "No one"),
    };
    let error = f.mailer.send(&mail).await.unwrap_err();
    assert!(matches!(error, MailError::Rejected(_)), "{error:?}");
}
