//! Reading request bodies into their types while collecting every problem at once.
//!
//! serde stops at the first error; a customer filling a form wants all of them. So each
//! field of a request type is a `Field<T>`: absent, given, or given with the wrong JSON
//! type (kept to be reported), and each request type keeps the fields it does not know
//! in `Unknown`. Deserialising a body into such a type never fails on a field; `Check`
//! then walks it, turning it into domain values and recording each problem under the
//! field's dotted path (`contact.email`, `extensions[1].id`).
//!
//! Also here: the JSON types shared by several resources.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::error::{FieldError, ProblemCode};
use crate::domain::local_time::{format_in, zone_abbreviation, Slot};
use crate::domain::text::{self, Lines, Problem};

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    String,
    Integer,
    Boolean,
    Array,
    /// Any JSON value but null (the caller reads it further).
    Any,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::String => "a string",
            Kind::Integer => "a whole number",
            Kind::Boolean => "true or false",
            Kind::Array => "an array",
            Kind::Any => "a value",
        }
    }

    fn admits(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (Kind::Object, Value::Object(_))
                | (Kind::String, Value::String(_))
                | (Kind::Integer, Value::Number(_))
                | (Kind::Boolean, Value::Bool(_))
                | (Kind::Array, Value::Array(_))
                | (Kind::Any, _)
        )
    }
}

/// What JSON type a Rust type is read from.
pub trait JsonKind {
    const KIND: Kind;
}

impl JsonKind for String {
    const KIND: Kind = Kind::String;
}
impl JsonKind for i64 {
    const KIND: Kind = Kind::Integer;
}
impl JsonKind for bool {
    const KIND: Kind = Kind::Boolean;
}
impl<T> JsonKind for Vec<T> {
    const KIND: Kind = Kind::Array;
}

/// Request types are JSON objects.
macro_rules! json_objects {
    ($($t:ty),* $(,)?) => { $(impl $crate::http::json::JsonKind for $t { const KIND: $crate::http::json::Kind = $crate::http::json::Kind::Object; })* };
}
pub(crate) use json_objects;

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

/// One field of a request as sent. `null` counts as absent.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    Given(T),
    /// Sent with another JSON type (named), or a number that is not a whole one.
    Wrong(&'static str),
}

impl<'de, T: DeserializeOwned + JsonKind> Deserialize<'de> for Field<T> {
    /// Read as an `Option`, so that serde reads a missing field as `None` too: a request
    /// type needs no `#[serde(default)]`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field<T>, D::Error> {
        let Some(v) = Option::<Value>::deserialize(d)? else {
            return Ok(Field::Absent);
        };
        if v.is_null() {
            return Ok(Field::Absent);
        }
        if !T::KIND.admits(&v) {
            return Ok(Field::Wrong(type_name(&v)));
        }
        let got = type_name(&v);
        Ok(T::deserialize(v).map_or(Field::Wrong(got), Field::Given))
    }
}

impl<T> Field<T> {
    pub fn is_given(&self) -> bool {
        !matches!(self, Field::Absent)
    }
}

/// The fields a request type does not know, kept to refuse them by name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(transparent)]
pub struct Unknown(BTreeMap<String, IgnoredAny>);

impl Unknown {
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

/// Appends `key` to a dotted path.
pub fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Every problem found in a request, each under its field's path.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn problem(
        &mut self,
        field: impl Into<String>,
        code: ProblemCode,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Record a value's problem under `field`, or pass the value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Problem>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err((code, message)) => {
                self.problem(field, code, message);
                None
            }
        }
    }

    /// Refuse every field the request type does not know.
    pub fn unknown(&mut self, prefix: &str, unknown: &Unknown) {
        for key in unknown.0.keys() {
            let field = path(prefix, key);
            self.problem(
                field.clone(),
                ProblemCode::UnknownField,
                format!("{field} is not a field of this request; remove it"),
            );
        }
    }

    /// Refuse every field the request type does not know, but those in `except` (which
    /// the caller refuses with a reason of its own).
    pub fn unknown_except(&mut self, prefix: &str, unknown: &Unknown, except: &[&str]) {
        for key in unknown.0.keys().filter(|k| !except.contains(&k.as_str())) {
            let field = path(prefix, key);
            self.problem(
                field.clone(),
                ProblemCode::UnknownField,
                format!("{field} is not a field of this request; remove it"),
            );
        }
    }

    /// A field's value, or its problem: missing (when `required` says what to send) or
    /// of the wrong type.
    pub fn value<T: JsonKind>(
        &mut self,
        field: &str,
        value: Field<T>,
        required: Option<&str>,
    ) -> Option<T> {
        match value {
            Field::Given(v) => Some(v),
            Field::Wrong(got) => {
                self.problem(
                    field,
                    ProblemCode::InvalidType,
                    format!("{field} must be {}, not {got}", T::KIND.name()),
                );
                None
            }
            Field::Absent => {
                if let Some(what) = required {
                    self.problem(
                        field,
                        ProblemCode::Required,
                        format!("{field} is required: {what}"),
                    );
                }
                None
            }
        }
    }

    /// Text of 1 to `max` characters (see `text::text`); empty counts as absent.
    pub fn text(
        &mut self,
        field: &str,
        value: Field<String>,
        required: Option<&str>,
        max: usize,
        lines: Lines,
    ) -> Option<String> {
        let raw = self.value(field, value, required)?;
        match text::text(&raw, max, lines, field) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                if let Some(what) = required {
                    self.problem(
                        field,
                        ProblemCode::Required,
                        format!("{field} must not be empty: {what}"),
                    );
                }
                None
            }
            Err((code, message)) => {
                self.problem(field, code, message);
                None
            }
        }
    }

    /// One-line text that must then pass `rule`.
    pub fn text_with<T>(
        &mut self,
        field: &str,
        value: Field<String>,
        required: Option<&str>,
        max: usize,
        rule: impl FnOnce(String) -> Result<T, Problem>,
    ) -> Option<T> {
        let t = self.text(field, value, required, max, Lines::One)?;
        self.check(field, rule(t))
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The value when nothing was found wrong, else every problem.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            value().ok_or_else(|| {
                vec![FieldError::new(
                    "",
                    ProblemCode::InvalidFormat,
                    "the request could not be read",
                )]
            })
        } else {
            Err(self.errors)
        }
    }
}

/// A start and end in the customer's zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotJson {
    /// RFC 3339 with the zone's offset at that time.
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    /// The IANA zone the times are shown in.
    pub time_zone: String,
    /// The zone's abbreviation then, such as CET or EDT.
    pub zone_abbreviation: String,
}

impl From<&Slot> for SlotJson {
    fn from(s: &Slot) -> SlotJson {
        SlotJson {
            start: format_in(s.start, s.time_zone),
            end: format_in(s.end, s.time_zone),
            time_zone: s.time_zone.name().to_string(),
            zone_abbreviation: zone_abbreviation(s.start, s.time_zone),
        }
    }
}

/// An instant as the API shows it: RFC 3339 in `tz`.
pub fn instant(t: DateTime<Utc>, tz: Tz) -> String {
    format_in(t, tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Inner {
        c: Field<String>,
        d: Field<String>,
        #[serde(flatten)]
        unknown: Unknown,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Outer {
        a: Field<String>,
        b: Field<Inner>,
        n: Field<i64>,
        missing: Field<bool>,
        list: Field<Vec<Field<Inner>>>,
        #[serde(flatten)]
        unknown: Unknown,
    }

    json_objects!(Inner);

    #[test]
    fn collects_every_problem_with_its_path() {
        let body: Outer = serde_json::from_value(json!({
            "a": 3, "b": {"c": "", "extra": 1}, "n": 1.5, "list": [{"c": "x"}, 7], "zzz": true
        }))
        .unwrap();
        let mut check = Check::default();
        check.unknown("", &body.unknown);
        check.text("a", body.a, Some("a name"), 10, Lines::One);
        if let Some(b) = check.value("b", body.b, Some("an object")) {
            check.unknown("b", &b.unknown);
            check.text("b.c", b.c, Some("a name"), 10, Lines::One);
            check.text("b.d", b.d, Some("a name"), 10, Lines::One);
        }
        check.value("n", body.n, Some("minutes"));
        check.value("missing", body.missing, Some("true or false"));
        for (i, item) in check
            .value("list", body.list, None)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            check.value(&format!("list[{i}]"), item, Some("an object"));
        }
        let found: Vec<(String, &str)> = check
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("zzz".to_string(), "unknown_field"),
                ("a".to_string(), "invalid_type"),
                ("b.extra".to_string(), "unknown_field"),
                ("b.c".to_string(), "required"),
                ("b.d".to_string(), "required"),
                ("n".to_string(), "invalid_type"),
                ("missing".to_string(), "required"),
                ("list[1]".to_string(), "invalid_type"),
            ]
        );
    }

    #[test]
    fn null_is_absent_and_arrays_are_not_objects() {
        let body: Outer = serde_json::from_value(json!({"a": null, "b": [1, 2]})).unwrap();
        assert_eq!(body.a, Field::Absent);
        assert!(matches!(body.b, Field::Wrong("an array")));
    }
}
