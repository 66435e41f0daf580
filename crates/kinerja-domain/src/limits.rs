//! What one request may carry: list sizes, numbers and characters. Practice, not regulation:
//! sized far above any real plan, so that a request stays small and a bad one is refused with
//! its reason (422) rather than costing the database.

/// Results (RHK) in one plan.
pub const MAX_RESULTS_PER_PLAN: usize = 100;
/// Indicators of one result.
pub const MAX_INDICATORS_PER_RESULT: usize = 50;
/// Pieces of evidence (bukti dukung) of one realisation or development activity.
pub const MAX_EVIDENCE: usize = 20;
/// Targets and realised values: finite numbers from 0 up to this (a trillion: any budget in
/// rupiah fits).
pub const MAX_QUANTITY: f64 = 1e12;

/// Whether a number is a quantity we take: finite, from 0 to [`MAX_QUANTITY`].
pub fn is_quantity(value: f64) -> bool {
    value.is_finite() && (0.0..=MAX_QUANTITY).contains(&value)
}

/// Characters that change how text looks without being seen: the bidirectional overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), which can make a name read backwards.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name or code: no control characters at all (no ESC, no newline) and no bidi controls.
pub fn is_clean_name(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Free text (descriptions, notes): line breaks and tabs allowed, other control characters and
/// bidi controls not.
pub fn is_clean_text(text: &str) -> bool {
    !text.chars().any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_texts() {
        assert!(is_clean_name("Rina Marlina, S.Pd."));
        assert!(!is_clean_name("Rina\u{1b}[31m"));
        assert!(!is_clean_name("Budi\u{202E}nimda"));
        assert!(!is_clean_name("two\nlines"));
        assert!(is_clean_text("line one\nline two\tindented"));
        assert!(!is_clean_text("bell\u{7}"));
        assert!(!is_clean_text("\u{2066}isolate"));
    }

    #[test]
    fn quantities() {
        assert!(is_quantity(0.0) && is_quantity(90.0) && is_quantity(MAX_QUANTITY));
        assert!(!is_quantity(-1.0) && !is_quantity(1e308) && !is_quantity(f64::NAN) && !is_quantity(f64::INFINITY));
    }
}
