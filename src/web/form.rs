//! Forms: reading a posted body, the fields as templates show them (label, value, the
//! error next to it), and the service's refusals said in plain words.

use serde::Serialize;

use crate::domain::error::{FieldError, ProblemCode};
use crate::domain::locale::Locale;

use super::i18n::{messages, say};

/// A posted form (`application/x-www-form-urlencoded`).
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form {
            pairs: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The button pressed: `action`'s value.
    pub fn action(&self) -> &str {
        self.get("action")
    }
}

/// A query parameter's value.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An option of a select.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A field as the `field` partial shows it. Every key is always present (strict mode).
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// The element id (also the label's `for`).
    pub id: String,
    /// The form name.
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `date`, `time`, `textarea` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
    /// A datalist's id (the time zones).
    pub list: Option<&'static str>,
    pub maxlength: Option<usize>,
    pub choices: Vec<Choice>,
    /// Extra attributes' values for the script (the time zone's default).
    pub data: Option<String>,
}

impl FieldView {
    pub fn new(
        locale: Locale,
        name: &str,
        kind: &'static str,
        value: &str,
        errors: &Errors,
    ) -> FieldView {
        let id = name.replace('.', "-");
        let t = messages(locale);
        FieldView {
            label: t
                .get(&format!("label_{id}"))
                .cloned()
                .unwrap_or_else(|| name.to_string()),
            hint: t.get(&format!("hint_{id}")).cloned(),
            error: errors.get(name).map(str::to_string),
            id,
            name: name.to_string(),
            kind,
            value: value.to_string(),
            required: true,
            autocomplete: None,
            list: None,
            maxlength: None,
            choices: vec![],
            data: None,
        }
    }

    /// A label other than the one its name gives (rows of the hours editor).
    pub fn label(mut self, label: &str) -> FieldView {
        self.label = label.to_string();
        self
    }

    /// One of several alike fields on a page: its own id, and the error kept under `key`.
    pub fn keyed(mut self, key: &str, errors: &Errors) -> FieldView {
        self.id = key.replace('.', "-");
        self.error = errors.get(key).map(str::to_string);
        self
    }

    pub fn optional(mut self) -> FieldView {
        self.required = false;
        self
    }

    pub fn autocomplete(mut self, a: &'static str) -> FieldView {
        self.autocomplete = Some(a);
        self
    }

    pub fn max(mut self, n: usize) -> FieldView {
        self.maxlength = Some(n);
        self
    }

    pub fn choices(mut self, choices: Vec<(String, String)>) -> FieldView {
        let value = self.value.clone();
        self.choices = choices
            .into_iter()
            .map(|(v, label)| Choice {
                selected: v == value,
                value: v,
                label,
            })
            .collect();
        self
    }
}

/// Problems by form field, each said in plain words, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Errors(Vec<(String, String)>);

/// One entry of the error summary: a link to the field.
#[derive(Debug, Serialize)]
pub struct ErrorLink {
    pub id: String,
    pub message: String,
}

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message.into()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "Please fill in …" next to each field whose value is empty.
    pub fn require(&mut self, locale: Locale, fields: &[(&str, &str)]) {
        for (field, value) in fields {
            if value.trim().is_empty() {
                self.add(field, required(locale, field));
            }
        }
    }

    /// The service's refusals, each next to its form field, in plain words.
    pub fn explain_all(&mut self, locale: Locale, found: &[FieldError], limits: &DateLimits) {
        for e in found {
            self.add(form_field(&e.field), explain(locale, e, limits));
        }
    }

    /// In the order the form shows its fields (others last).
    pub fn in_order(mut self, fields: &[&str]) -> Errors {
        self.0
            .sort_by_key(|(f, _)| fields.iter().position(|x| x == f).unwrap_or(usize::MAX));
        self
    }

    /// The summary at the top of the page, linking each problem to its field.
    pub fn summary(&self) -> Vec<ErrorLink> {
        self.0
            .iter()
            .map(|(f, m)| ErrorLink {
                id: f.replace('.', "-"),
                message: m.clone(),
            })
            .collect()
    }
}

/// "Please fill in “First name”."
pub fn required(locale: Locale, field: &str) -> String {
    let label = say(locale, &format!("label_{}", field.replace('.', "-")), &[]);
    say(locale, "err_required", &[("label", &label)])
}

/// What the reader needs to know to fix a date: the earliest and latest they may choose.
pub struct DateLimits {
    pub lead_days: i64,
    pub earliest: String,
    pub latest: String,
    pub horizon_days: i64,
}

/// The form field an API field error belongs to: the API's `start` is the page's date
/// and time; the event's language is chosen in step 1.
pub fn form_field(api_field: &str) -> &str {
    match api_field {
        "start" => "date",
        "event.language" => "language",
        "meeting.scheduled" | "meeting.scheduled_by" => "meeting.answer",
        other => other,
    }
}

/// A refusal of a field, in plain words for a person (the API's messages name JSON paths).
pub fn explain(locale: Locale, e: &FieldError, limits: &DateLimits) -> String {
    let field = form_field(&e.field);
    let label = messages(locale)
        .get(&format!("label_{}", field.replace('.', "-")))
        .cloned()
        .unwrap_or_else(|| field.to_string());
    let lead = limits.lead_days.to_string();
    let horizon = limits.horizon_days.to_string();
    let args: &[(&str, &str)] = &[
        ("label", &label),
        ("days", &lead),
        ("earliest", &limits.earliest),
        ("latest", &limits.latest),
        ("horizon", &horizon),
    ];
    let key = match e.code {
        ProblemCode::Required => "err_required",
        ProblemCode::InvalidFormat | ProblemCode::InvalidType => match field {
            "contact.email" | "meeting.host_email" => "err_email",
            "contact.phone" => "err_phone",
            "site" => "err_site",
            "date" => "err_date",
            _ => "err_format",
        },
        ProblemCode::TooLong => "err_too_long",
        ProblemCode::InvalidTimeZone => "err_time_zone",
        ProblemCode::InvalidDuration => "err_duration",
        ProblemCode::UnknownPackage => "err_package",
        ProblemCode::NonexistentLocalTime => "err_nonexistent_time",
        ProblemCode::AmbiguousLocalTime => "err_ambiguous_time",
        ProblemCode::StartInPast => "err_past",
        ProblemCode::BeyondHorizon => "err_horizon",
        ProblemCode::LeadTime => "err_lead_time",
        ProblemCode::InvalidLanguage => "err_language",
        ProblemCode::MeetingNotScheduled => "err_not_scheduled",
        _ => {
            return format!("{label}: {}", e.message);
        }
    };
    say(locale, key, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_said_in_the_readers_words() {
        let limits = DateLimits {
            lead_days: 14,
            earliest: "7 December 2026".into(),
            latest: "22 November 2028".into(),
            horizon_days: 730,
        };
        let e = FieldError::new("contact.first_name", ProblemCode::Required, "x");
        assert_eq!(
            explain(Locale::En, &e, &limits),
            "Please fill in “First name”."
        );
        assert_eq!(
            explain(Locale::Fr, &e, &limits),
            "Veuillez renseigner « Prénom »."
        );
        let e = FieldError::new("start", ProblemCode::LeadTime, "x");
        assert!(explain(Locale::En, &e, &limits).contains("7 December 2026"));
        assert_eq!(form_field("start"), "date");
    }

    #[test]
    fn forms_read_repeated_and_encoded_values() {
        let f = Form::parse(b"a=1&b=caf%C3%A9+au+lait&a=2&action=pick%3A2027-02-10T10%3A00");
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("b"), "café au lait");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.action(), "pick:2027-02-10T10:00");
        assert_eq!(
            query_value("number=AB-12&lang=fr", "lang").as_deref(),
            Some("fr")
        );
    }
}
