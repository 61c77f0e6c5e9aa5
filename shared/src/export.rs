//! What every CSV the product writes shares.

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading `'` (OWASP's advice against CSV formula injection).
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
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
    }
}
