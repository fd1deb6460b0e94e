//! Reading a JSON request body field by field, collecting every problem at once.
//!
//! serde stops at the first error; a customer filling a form wants all of them. A
//! `Fields` walks a `serde_json::Value`, and each getter records what is missing or
//! malformed under the field's dotted path.

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// An object in the request (possibly absent), with the path that leads to it.
#[derive(Clone)]
pub struct Fields<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: String,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    /// The request body itself, which must be a JSON object.
    pub fn root(body: &'a Value, errors: &mut Errors) -> Fields<'a> {
        match body {
            Value::Object(map) => Fields {
                map: Some(map),
                prefix: String::new(),
            },
            other => {
                errors.add(
                    "",
                    "invalid_type",
                    format!("the body must be a JSON object, not {}", type_name(other)),
                );
                Fields {
                    map: None,
                    prefix: String::new(),
                }
            }
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// The value, or None when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map?.get(key).filter(|v| !v.is_null())
    }

    pub fn present(&self) -> bool {
        self.map.is_some()
    }

    fn missing(&self, errors: &mut Errors, key: &str, what: &str) {
        errors.add(
            self.path(key),
            "required",
            format!("{} is required: {what}", self.path(key)),
        );
    }

    fn wrong_type(&self, errors: &mut Errors, key: &str, want: &str, got: &Value) {
        errors.add(
            self.path(key),
            "invalid_type",
            format!("{} must be {want}, not {}", self.path(key), type_name(got)),
        );
    }

    /// A nested object.
    pub fn object(&self, key: &str, errors: &mut Errors, required: bool) -> Fields<'a> {
        let map = match self.raw(key) {
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                self.wrong_type(errors, key, "an object", other);
                None
            }
            None => {
                if required && self.present() {
                    self.missing(errors, key, "send an object");
                }
                None
            }
        };
        Fields {
            map,
            prefix: self.path(key),
        }
    }

    /// A trimmed one-line string of 1 to `max` characters (after trimming): no control
    /// characters at all, line breaks and tabs included, so that it can go into an
    /// e-mail header, a calendar line or a log line as it is.
    pub fn string(
        &self,
        key: &str,
        errors: &mut Errors,
        required: bool,
        max: usize,
        what: &str,
    ) -> Option<String> {
        self.checked_string(key, errors, required, max, what, false)
    }

    /// A trimmed text of 1 to `max` characters that may span lines. Line breaks are
    /// stored as `\n` (CR LF and a lone CR included); tabs are kept; any other control
    /// character is refused.
    pub fn text(
        &self,
        key: &str,
        errors: &mut Errors,
        required: bool,
        max: usize,
        what: &str,
    ) -> Option<String> {
        self.checked_string(key, errors, required, max, what, true)
    }

    fn checked_string(
        &self,
        key: &str,
        errors: &mut Errors,
        required: bool,
        max: usize,
        what: &str,
        multiline: bool,
    ) -> Option<String> {
        match self.raw(key) {
            Some(Value::String(s)) => {
                let normalised;
                let s = if multiline {
                    normalised = s.replace("\r\n", "\n").replace('\r', "\n");
                    normalised.as_str()
                } else {
                    s.as_str()
                };
                let t = s.trim();
                if t.is_empty() {
                    if required {
                        errors.add(
                            self.path(key),
                            "required",
                            format!("{} must not be empty: {what}", self.path(key)),
                        );
                    }
                    None
                } else if t.chars().count() > max {
                    errors.add(
                        self.path(key),
                        "too_long",
                        format!(
                            "{} is longer than {max} characters; shorten it",
                            self.path(key)
                        ),
                    );
                    None
                } else if t
                    .chars()
                    .any(|c| forbidden_char(c) && !(multiline && (c == '\n' || c == '\t')))
                {
                    let how = if multiline {
                        "control characters; keep to text, line breaks and tabs"
                    } else {
                        "line breaks or control characters; send it on one line"
                    };
                    errors.add(
                        self.path(key),
                        "invalid_format",
                        format!("{} contains {how}", self.path(key)),
                    );
                    None
                } else {
                    Some(t.to_string())
                }
            }
            Some(other) => {
                self.wrong_type(errors, key, "a string", other);
                None
            }
            None => {
                if required && self.present() {
                    self.missing(errors, key, what);
                }
                None
            }
        }
    }

    /// An e-mail address (see `valid_email`).
    pub fn email(
        &self,
        key: &str,
        errors: &mut Errors,
        required: bool,
        what: &str,
    ) -> Option<String> {
        self.string(key, errors, required, 254, what).filter(|e| {
            let ok = valid_email(e);
            if !ok {
                errors.add(
                    self.path(key),
                    "invalid_format",
                    format!(
                        "{} '{e}' is not an e-mail address such as ana@example.com",
                        self.path(key)
                    ),
                );
            }
            ok
        })
    }

    pub fn boolean(&self, key: &str, errors: &mut Errors, required: bool) -> Option<bool> {
        match self.raw(key) {
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.wrong_type(errors, key, "true or false", other);
                None
            }
            None => {
                if required && self.present() {
                    self.missing(errors, key, "send true or false");
                }
                None
            }
        }
    }

    /// A whole number (JSON integer); `what` explains the expected range.
    pub fn integer(
        &self,
        key: &str,
        errors: &mut Errors,
        required: bool,
        what: &str,
    ) -> Option<i64> {
        match self.raw(key) {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(i),
                None => {
                    errors.add(
                        self.path(key),
                        "invalid_type",
                        format!("{} must be a whole number: {what}", self.path(key)),
                    );
                    None
                }
            },
            Some(other) => {
                self.wrong_type(errors, key, "a whole number", other);
                None
            }
            None => {
                if required && self.present() {
                    self.missing(errors, key, what);
                }
                None
            }
        }
    }

    pub fn array(&self, key: &str, errors: &mut Errors, required: bool) -> Option<&'a Vec<Value>> {
        match self.raw(key) {
            Some(Value::Array(a)) => Some(a),
            Some(other) => {
                self.wrong_type(errors, key, "an array", other);
                None
            }
            None => {
                if required && self.present() {
                    self.missing(errors, key, "send an array");
                }
                None
            }
        }
    }
}

/// Characters no customer text carries: C0 and C1 controls (line breaks included),
/// the Unicode line and paragraph separators, and the bidirectional overrides that can
/// make text read differently from what it says.
pub fn forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A nested object inside an array, addressed as `prefix[i]`.
pub fn element<'a>(v: &'a Value, path: String, errors: &mut Errors) -> Fields<'a> {
    match v {
        Value::Object(map) => Fields {
            map: Some(map),
            prefix: path,
        },
        other => {
            errors.add(
                &path,
                "invalid_type",
                format!("{path} must be an object, not {}", type_name(other)),
            );
            Fields {
                map: None,
                prefix: path,
            }
        }
    }
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
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
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

/// A phone number as people write it: digits with spaces, dots, dashes, parentheses and
/// a leading plus; 6 to 20 digits.
pub fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " .-()/".contains(c) || (c == '+' && i == 0))
}

/// A BCP 47 language tag, reduced to its primary language subtag in lower case
/// ("fr-CA" → "fr").
pub fn primary_language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    let ok_primary =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let ok_rest =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    (ok_primary && ok_rest).then(|| primary.to_ascii_lowercase())
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
    fn collects_every_problem() {
        let body = serde_json::json!({"a": 3, "b": {"c": ""}, "n": "x"});
        let mut errors = Errors::default();
        let root = Fields::root(&body, &mut errors);
        root.string("a", &mut errors, true, 10, "a name");
        let b = root.object("b", &mut errors, true);
        b.string("c", &mut errors, true, 10, "a name");
        b.string("d", &mut errors, true, 10, "a name");
        root.integer("n", &mut errors, true, "minutes");
        root.boolean("missing", &mut errors, true);
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "b.c", "b.d", "n", "missing"]);
    }
}
