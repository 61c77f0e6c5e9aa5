//! What every CSV the product writes shares.

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading `'` (OWASP's advice against CSV formula injection),
/// unless it is a plain signed number (a phone number `+61255501234`, an amount `-12.50`),
/// which a spreadsheet reads as the number it is.
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('+' | '-') if is_signed_number(text) => text.into(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// `+61255501234`, `-12.50`: a sign, digits, at most one decimal point, nothing else.
fn is_signed_number(text: &str) -> bool {
    let digits = &text[1..];
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::csv_safe;

    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("jo@example.com"), "jo@example.com");
        assert_eq!(csv_safe(""), "");
        // Numbers with a sign stay numbers; anything more after a sign is defused.
        assert_eq!(csv_safe("+61255501234"), "+61255501234");
        assert_eq!(csv_safe("-12.50"), "-12.50");
        assert_eq!(csv_safe("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(csv_safe("-2+3"), "'-2+3");
        assert_eq!(csv_safe("+"), "'+");
        assert_eq!(csv_safe("-1.2.3"), "'-1.2.3");
    }
}
