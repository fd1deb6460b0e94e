//! What customers' and staff's text may hold: one-line and multi-line text, e-mail
//! addresses, phone numbers, host names and language tags. Each check returns the
//! cleaned value or the problem's code and a message that says how to fix it.

use super::error::ProblemCode;

/// A problem with one value: its code and how to fix it.
pub type Problem = (ProblemCode, String);

/// Characters no customer text carries: C0 and C1 controls (line breaks included),
/// the Unicode line and paragraph separators, and the bidirectional overrides that can
/// make text read differently from what it says.
pub fn forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// How text may be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no control character at all, so it can go into an e-mail header, a
    /// calendar line or a log line as it is.
    One,
    /// Several lines: line breaks are stored as LF (CR LF and a lone CR included), tabs
    /// are kept, any other control character is refused.
    Many,
}

/// Trimmed text of 1 to `max` characters; `None` when empty after trimming.
pub fn text(raw: &str, max: usize, lines: Lines, path: &str) -> Result<Option<String>, Problem> {
    let normalised;
    let s = match lines {
        Lines::Many => {
            normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
            normalised.as_str()
        }
        Lines::One => raw,
    };
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err((
            ProblemCode::TooLong,
            format!("{path} is longer than {max} characters; shorten it"),
        ));
    }
    let allowed = |c: char| lines == Lines::Many && (c == '\n' || c == '\t');
    if t.chars().any(|c| forbidden_char(c) && !allowed(c)) {
        let how = match lines {
            Lines::Many => "control characters; keep to text, line breaks and tabs",
            Lines::One => "line breaks or control characters; send it on one line",
        };
        return Err((ProblemCode::InvalidFormat, format!("{path} contains {how}")));
    }
    Ok(Some(t.to_string()))
}

/// A person's name as e-mails show it: plain words, not markup or links.
pub fn name(value: &str, path: &str) -> Result<(), Problem> {
    if value.contains(['<', '>']) || value.contains("://") {
        return Err((
            ProblemCode::InvalidFormat,
            format!("{path} must be a name, without links or the characters < and >"),
        ));
    }
    Ok(())
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no
/// spaces. Deliverability is for the mail server to say.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && !local.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            // Labels as host names have them: letters, digits and inner hyphens.
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && !s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || c == '<'
                || c == '>'
                || c == ','
                || c == ';'
                || c == '"'
        })
}

pub fn email(value: &str, path: &str) -> Result<(), Problem> {
    if valid_email(value) {
        Ok(())
    } else {
        Err((
            ProblemCode::InvalidFormat,
            format!("{path} '{value}' is not an e-mail address such as ana@example.com"),
        ))
    }
}

/// A phone number as people write it: digits with spaces, dots, dashes, parentheses and
/// a leading plus; 6 to 20 digits.
pub fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " .-()/".contains(c) || (c == '+' && i == 0))
}

pub fn phone(value: &str, path: &str) -> Result<(), Problem> {
    if valid_phone(value) {
        Ok(())
    } else {
        Err((
            ProblemCode::InvalidFormat,
            format!("{path} must be a phone number of 6 to 20 digits, such as +33 1 23 45 67 89"),
        ))
    }
}

/// A BCP 47 language tag, reduced to its primary language subtag in lower case
/// ("fr-CA" → "fr").
pub fn primary_language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    if tag.len() > 35 {
        return None;
    }
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    let ok_primary =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let ok_rest =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    (ok_primary && ok_rest).then(|| primary.to_ascii_lowercase())
}

pub fn language(tag: &str) -> Result<String, Problem> {
    primary_language(tag).ok_or_else(|| {
        (
            ProblemCode::InvalidLanguage,
            format!("'{tag}' is not a BCP 47 language tag; use one such as en, fr, ja or pt-BR"),
        )
    })
}

/// A host name such as `acme.webex.com`.
pub fn valid_host(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// An absolute http or https address with a host (what a browser or a receiver can be
/// sent to), as the URL parser reads it.
pub fn web_address(s: &str) -> Option<url::Url> {
    url::Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(valid_email("ana@example.com"));
        assert!(valid_email("Ana.Souza+events@Example.co.uk"));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@exa..mple.com",
            "ana@example.com>",
            "ana@-example.com",
            "ana@example-.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones_languages_hosts() {
        assert!(valid_phone("+33 1 23 45 67 89"));
        assert!(valid_phone("(555) 010-2000"));
        assert!(!valid_phone("12"));
        assert!(!valid_phone("call me"));
        assert_eq!(primary_language("fr-CA").as_deref(), Some("fr"));
        assert_eq!(primary_language("EN").as_deref(), Some("en"));
        assert_eq!(primary_language("français"), None);
        assert!(valid_host("acme.webex.com"));
        assert!(!valid_host("acme..webex.com"));
        assert!(!valid_host("https://acme.webex.com"));
    }

    #[test]
    fn one_line_text_refuses_breaks_and_many_lines_keep_lf_only() {
        assert_eq!(text("  Ana  ", 10, Lines::One, "n"), Ok(Some("Ana".into())));
        assert_eq!(text("   ", 10, Lines::One, "n"), Ok(None));
        assert_eq!(
            text("Ana\r\nEvil", 20, Lines::One, "n").unwrap_err().0,
            ProblemCode::InvalidFormat
        );
        assert_eq!(
            text("Acme\u{2028}Evil", 20, Lines::One, "n").unwrap_err().0,
            ProblemCode::InvalidFormat
        );
        assert_eq!(
            text("a\r\nb\rc\td", 20, Lines::Many, "n"),
            Ok(Some("a\nb\nc\td".into()))
        );
        assert_eq!(
            text("a\u{0}b", 20, Lines::Many, "n").unwrap_err().0,
            ProblemCode::InvalidFormat
        );
        assert_eq!(
            text("abcdef", 5, Lines::One, "n").unwrap_err().0,
            ProblemCode::TooLong
        );
    }
}
