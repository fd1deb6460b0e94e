//! The shapes of request fields as the API description states them: text without
//! control characters, e-mail addresses, phones, host names, language tags, zone names,
//! starts, clock times. Each is a schema component, named once and referenced by the
//! request types (`#[schema(value_type = …)]`), so that what the description promises is
//! what validation (`domain::text`, `domain::order`) enforces. What no schema can state
//! (the lead time and the horizon, a free producer, an end after its start) is left to
//! the API's answers.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Characters text may not hold on one line: controls, line separators, bidi overrides
/// (as `domain::text::forbidden_char`).
const NO_CONTROLS: &str = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069";
/// The same, letting tabs and line breaks through.
const NO_CONTROLS_BUT_LINES: &str =
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069";

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// Declares schema components: a name, and how its schema is built.
macro_rules! schemas {
    ($($(#[$doc:meta])* $name:ident => $build:expr;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    let built: Schema = $build;
                    built.into()
                }
            }

            impl ToSchema for $name {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($name))
                }
            }
        )*

        /// Every component declared here, by name: the description registers them all,
        /// those only query parameters refer to included.
        pub fn components() -> Vec<(&'static str, RefOr<Schema>)> {
            vec![$((stringify!($name), $name::schema()),)*]
        }
    };
}

fn line(max: usize) -> Schema {
    string("One line of text: no line breaks or control characters")
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!(
            "^[^{NO_CONTROLS}]*[^\\s{NO_CONTROLS}][^{NO_CONTROLS}]*$"
        )))
        .build()
        .into()
}

fn lines(max: usize) -> Schema {
    string("Text that may span lines (line breaks are kept as LF)")
        .max_length(Some(max))
        .pattern(Some(format!("^[^{NO_CONTROLS_BUT_LINES}]*$")))
        .build()
        .into()
}

schemas! {
    /// One line, up to 64 characters.
    Line64 => line(64);
    /// One line, up to 100 characters.
    Line100 => line(100);
    /// One line, up to 200 characters.
    Line200 => line(200);
    /// Text over lines, up to 500 characters.
    Lines500 => lines(500);
    /// Text over lines, up to 1000 characters.
    Lines1000 => lines(1000);
    /// Text over lines, up to 5000 characters.
    Lines5000 => lines(5000);
    /// A person's name: one line, no markup or links.
    PersonName => string("A person's name: one line, without links or the characters < and >")
        .min_length(Some(1))
        .max_length(Some(100))
        .pattern(Some(format!("^(?!.*://)[^<>{NO_CONTROLS}]*[^<>\\s{NO_CONTROLS}][^<>{NO_CONTROLS}]*$")))
        .build()
        .into();
    /// An e-mail address (international addresses included).
    EmailAddress => string("An e-mail address: one @, no spaces, a dotted domain (international addresses included)")
        .max_length(Some(254))
        .pattern(Some(r#"^[^\s@<>,;"\x00-\x1f\x7f-\x9f]{1,64}@[^\W_](?:(?:[^\W_]|-)*[^\W_])?(?:\.[^\W_](?:(?:[^\W_]|-)*[^\W_])?)+$"#))
        .examples(["ana@example.com"])
        .build()
        .into();
    /// A phone number: 6 to 20 digits, with spaces, dots, dashes, parentheses and a
    /// leading plus.
    PhoneNumber => string("A phone number: 6 to 20 digits, with spaces, dots, dashes, parentheses and a leading plus")
        .max_length(Some(40))
        .pattern(Some(r"^\+?(?:[ .()/-]*[0-9]){6,20}[ .()/-]*$"))
        .examples(["+33 1 23 45 67 89"])
        .build()
        .into();
    /// A host name, such as acme.webex.com.
    HostName => string("A host name, such as acme.webex.com")
        .max_length(Some(253))
        .pattern(Some(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"))
        .examples(["acme.webex.com"])
        .build()
        .into();
    /// A BCP 47 language tag, such as fr or pt-BR.
    LanguageTag => string("A BCP 47 language tag, such as fr or pt-BR")
        .max_length(Some(35))
        .pattern(Some(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$"))
        .examples(["fr"])
        .build()
        .into();
    /// The language e-mails are written in: en or fr (a region may follow).
    Locale => string("The language e-mails are written in: en or fr (a region may follow)")
        .max_length(Some(10))
        .pattern(Some(r"^(?:[Ee][Nn]|[Ff][Rr])(?:[-_][A-Za-z0-9]{1,5})?$"))
        .examples(["fr"])
        .build()
        .into();
    /// An IANA time zone name.
    TimeZoneName => string("An IANA time zone name")
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())))
        .examples(["Europe/Paris"])
        .build()
        .into();
    /// A start: a local date and time such as 2027-02-10T15:00 (read in the zone
    /// given beside it), or an RFC 3339 instant with offset; whole minutes.
    StartTime => string("A local date and time such as 2027-02-10T15:00 (read in the zone given beside it), or an RFC 3339 instant with offset; whole minutes")
        .max_length(Some(64))
        .pattern(Some(r"^2[0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::00)?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?$"))
        .examples(["2027-02-10T15:00"])
        .build()
        .into();
    /// A calendar date.
    CalendarDate => string("A date, YYYY-MM-DD")
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)))
        .pattern(Some(r"^2[0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"))
        .build()
        .into();
    /// A package id.
    PackageId => string("A package id, as GET /api/v1/packages lists them")
        .enum_values(Some(["meeting-premium", "training-premium", "event-standard", "event-premium"]))
        .build()
        .into();
    /// A reservation number: ten letters and digits, in any case, hyphens and spaces
    /// ignored.
    ReservationNumberText => string("A reservation number: ten letters and digits (any case; hyphens and spaces ignored), like 7KQ2M-9XH4D")
        .max_length(Some(40))
        .pattern(Some(r"^[ -]*(?:[0-9A-TV-Za-tv-z][ -]*){10}$"))
        .examples(["7KQ2M-9XH4D"])
        .build()
        .into();
    /// A time of day, HH:MM.
    ClockTime => string("A time of day, HH:MM")
        .pattern(Some(r"^(?:[01]?[0-9]|2[0-3]):[0-5][0-9]$"))
        .examples(["09:00"])
        .build()
        .into();
    /// The end of a span of work: HH:MM, or 24:00 for midnight.
    ClockEnd => string("The end of a span of work: HH:MM, or 24:00 for midnight; earlier than the start means it ends the next day")
        .pattern(Some(r"^(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)$"))
        .examples(["17:30"])
        .build()
        .into();
    /// A day of the week.
    WeekdayName => OneOfBuilder::new()
        .item(
            string("A day's name or its first three letters")
                .enum_values(Some([
                    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
                ]))
                .build(),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("1 (Monday) to 7 (Sunday)"))
                .minimum(Some(1))
                .maximum(Some(7))
                .build(),
        )
        .build()
        .into();
    /// A centre: meeting, training or event.
    CentreName => string("A centre")
        .enum_values(Some(["meeting", "training", "event"]))
        .build()
        .into();
    /// Where a webhook's deliveries are POSTed: an absolute http or https URL, without
    /// credentials or a fragment.
    WebhookUrl => string("An absolute http or https URL, without credentials or a fragment")
        .max_length(Some(crate::domain::webhook::MAX_URL))
        .pattern(Some(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s@#/?]+(?:[/?][^\s#]*)?$"))
        .examples(["https://example.com/greenroom/events"])
        .build()
        .into();
    /// A booking event a webhook can subscribe to.
    WebhookEvent => string("A booking event")
        .enum_values(Some(crate::domain::webhook::EventType::ALL.map(|e| e.as_str())))
        .build()
        .into();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns say yes and no as validation does (checked with the `regex` crate,
    /// whose syntax these patterns keep to; the person-name pattern's look-ahead is
    /// left to schemathesis, which runs them in CI).
    #[test]
    fn patterns_agree_with_validation() {
        let pattern = |s: RefOr<Schema>| match s {
            RefOr::T(Schema::Object(o)) => o.pattern.clone().unwrap(),
            _ => panic!("not a string schema"),
        };
        let check = |schema: RefOr<Schema>, good: &[&str], bad: &[&str]| {
            let p = pattern(schema);
            let re = regex::Regex::new(&p).unwrap();
            for g in good {
                assert!(re.is_match(g), "{p} refuses {g:?}");
            }
            for b in bad {
                assert!(!re.is_match(b), "{p} accepts {b:?}");
            }
        };
        let phones = ["+33 1 23 45 67 89", "(555) 010-2000"];
        check(
            PhoneNumber::schema(),
            &phones,
            &["12", "call me", "((((((("],
        );
        assert!(phones.iter().all(|p| crate::domain::text::valid_phone(p)));
        check(
            ReservationNumberText::schema(),
            &["7KQ2M-9XH4D", "7kq2m9xh4d"],
            &["7KQ2M", "UUUUU-UUUUU"],
        );
        for n in ["7KQ2M-9XH4D", "7kq2m9xh4d"] {
            assert!(crate::domain::reservation_number::ReservationNumber::parse(n).is_ok());
        }
        check(
            Line64::schema(),
            &["Ana", "Acme Corp"],
            &["", "  ", "a\nb", "a\u{202e}b"],
        );
        check(
            ClockEnd::schema(),
            &["24:00", "9:30", "23:59"],
            &["24:01", "25:00"],
        );
        check(
            HostName::schema(),
            &["acme.webex.com"],
            &["acme..webex.com", "https://acme.webex.com"],
        );
        check(LanguageTag::schema(), &["fr", "pt-BR"], &["français"]);
        check(
            EmailAddress::schema(),
            &["ana@example.com"],
            &["ana@example", "a b@example.com"],
        );
        check(
            StartTime::schema(),
            &["2027-02-10T15:00", "2027-02-10T15:00:00+01:00"],
            &["2027-02-10T15:00:30", "+262142-12-31T10:00"],
        );
    }
}
