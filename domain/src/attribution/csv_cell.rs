//! Every CSV Bursar writes goes through [`row`]: quoting by the `csv` crate
//! (RFC 4180), and each cell [`defuse`]d first, so a value that a caller
//! controls (a team, provider, model or task sent at ingest) cannot run as a
//! spreadsheet formula when finance opens the file (OWASP, "CSV Injection").

use std::borrow::Cow;

/// The characters a spreadsheet reads as the start of a formula (OWASP's list).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as it is safe to open: text starting with one of [`FORMULA_STARTS`]
/// gets a leading `'`, which spreadsheets show as text and do not evaluate.
/// A plain number (`-0.25`, `+3`) is left alone: it is no formula, and
/// money columns must stay numbers.
pub fn defuse(s: &str) -> Cow<'_, str> {
    if s.starts_with(FORMULA_STARTS) && !is_number(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

/// One CSV line, ending in `\n`: every field defused, then quoted as needed.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(256)
        .from_writer(Vec::with_capacity(256));
    // Writing to memory cannot fail; an error would only mean an empty line.
    let _ = w.write_record(fields.iter().map(|f| defuse(f.as_ref()).into_owned()));
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_are_not() {
        for (raw, safe) in [
            ("=HYPERLINK(\"https://evil.example\")", "'=HYPERLINK(\"https://evil.example\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("-", "'-"),
            ("search", "search"),
            ("-0.25", "-0.25"),
            ("+3", "+3"),
            ("12.5", "12.5"),
        ] {
            assert_eq!(defuse(raw), safe, "{raw:?}");
        }
    }

    #[test]
    fn rows_are_quoted_as_rfc_4180_says() {
        assert_eq!(row(&["a,b", "say \"hi\"", "plain", ""]), "\"a,b\",\"say \"\"hi\"\"\",plain,\n");
        assert_eq!(row(&["=1+1", "\t=cmd", "line\nbreak"]), "'=1+1,'\t=cmd,\"line\nbreak\"\n");
    }
}
