//! Formula injection (OWASP "CSV injection"): a cell that starts with `=`, `+`, `-` or `@`
//! (or a tab or carriage return) is run as a formula by a spreadsheet. Written cells get a
//! leading apostrophe, which spreadsheets show as text; reading takes it off again, so a
//! round trip keeps `+31 50 …` a phone number.

const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a safe spreadsheet cell.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    // A leading apostrophe of the text itself is doubled, so `restore` can tell it apart.
    if text.starts_with(TRIGGERS) || text.starts_with('\'') {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// What [`neutralise`] wrote, read back.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// Whether a cell as read would be a formula in a spreadsheet: the registry stores text, so
/// an import refuses it (`=HYPERLINK(…)`). `+` and `-` start phone numbers and lists, so only
/// `=` counts here; on the way out every trigger is neutralised.
pub fn is_formula(cell: &str) -> bool {
    cell.starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_read_back_as_written() {
        for text in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+31 50 123 4567",
            "-",
            "@SUM(A1)",
            "'=quoted",
            "''",
            "plain",
            "",
            "'plain",
        ] {
            let cell = neutralise(text);
            assert!(!is_formula(&cell), "{cell}");
            assert!(!cell.starts_with(TRIGGERS), "{cell}");
            assert_eq!(restore(&cell), text, "{cell}");
        }
        assert!(is_formula("=1+1"));
        assert!(!is_formula("+31"));
    }
}
