//! Rendering messages from handlebars templates: embedded in the binary, each one
//! overridable by a file of the same path in an operator's folder. Strict mode, so a
//! template that names a missing field fails loudly instead of printing nothing; HTML
//! escaping for the HTML part (customers' text is theirs, never markup), none for the
//! subject and the plain-text part.

use std::path::Path;

use anyhow::Context;
use handlebars::Handlebars;
use serde_json::Value;

use super::Kind;

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/email_templates/", $path)))),*]
    };
}

/// Every template, by its path under `email_templates/`.
pub const TEMPLATES: &[(&str, &str)] = embedded![
    "partials/details_en_txt.hbs",
    "partials/details_fr_txt.hbs",
    "partials/details_en_html.hbs",
    "partials/details_fr_html.hbs",
    "partials/charges_en_txt.hbs",
    "partials/charges_fr_txt.hbs",
    "partials/charges_en_html.hbs",
    "partials/charges_fr_html.hbs",
    "partials/manage_en_txt.hbs",
    "partials/manage_fr_txt.hbs",
    "partials/manage_en_html.hbs",
    "partials/manage_fr_html.hbs",
    "partials/producer_en_txt.hbs",
    "partials/producer_en_html.hbs",
    "partials/layout_top_html.hbs",
    "partials/layout_bottom_html.hbs",
    "session_reminder/subject.en.hbs",
    "session_reminder/body.en.txt.hbs",
    "session_reminder/body.en.html.hbs",
    "session_reminder/subject.fr.hbs",
    "session_reminder/body.fr.txt.hbs",
    "session_reminder/body.fr.html.hbs",
    "session_scheduled/subject.en.hbs",
    "session_scheduled/body.en.txt.hbs",
    "session_scheduled/body.en.html.hbs",
    "session_scheduled/subject.fr.hbs",
    "session_scheduled/body.fr.txt.hbs",
    "session_scheduled/body.fr.html.hbs",
    "session_cancelled/subject.en.hbs",
    "session_cancelled/body.en.txt.hbs",
    "session_cancelled/body.en.html.hbs",
    "session_cancelled/subject.fr.hbs",
    "session_cancelled/body.fr.txt.hbs",
    "session_cancelled/body.fr.html.hbs",
    "booking_confirmed/subject.en.hbs",
    "booking_confirmed/body.en.txt.hbs",
    "booking_confirmed/body.en.html.hbs",
    "booking_confirmed/subject.fr.hbs",
    "booking_confirmed/body.fr.txt.hbs",
    "booking_confirmed/body.fr.html.hbs",
    "booking_rescheduled/subject.en.hbs",
    "booking_rescheduled/body.en.txt.hbs",
    "booking_rescheduled/body.en.html.hbs",
    "booking_rescheduled/subject.fr.hbs",
    "booking_rescheduled/body.fr.txt.hbs",
    "booking_rescheduled/body.fr.html.hbs",
    "booking_updated/subject.en.hbs",
    "booking_updated/body.en.txt.hbs",
    "booking_updated/body.en.html.hbs",
    "booking_updated/subject.fr.hbs",
    "booking_updated/body.fr.txt.hbs",
    "booking_updated/body.fr.html.hbs",
    "booking_amended/subject.en.hbs",
    "booking_amended/body.en.txt.hbs",
    "booking_amended/body.en.html.hbs",
    "booking_amended/subject.fr.hbs",
    "booking_amended/body.fr.txt.hbs",
    "booking_amended/body.fr.html.hbs",
    "booking_cancelled/subject.en.hbs",
    "booking_cancelled/body.en.txt.hbs",
    "booking_cancelled/body.en.html.hbs",
    "booking_cancelled/subject.fr.hbs",
    "booking_cancelled/body.fr.txt.hbs",
    "booking_cancelled/body.fr.html.hbs",
    "producer_assigned/subject.en.hbs",
    "producer_assigned/body.en.txt.hbs",
    "producer_assigned/body.en.html.hbs",
    "producer_released/subject.en.hbs",
    "producer_released/body.en.txt.hbs",
    "producer_released/body.en.html.hbs",
    "producer_moved/subject.en.hbs",
    "producer_moved/body.en.txt.hbs",
    "producer_moved/body.en.html.hbs",
    "content_due/subject.en.hbs",
    "content_due/body.en.txt.hbs",
    "content_due/body.en.html.hbs",
    "content_due/subject.fr.hbs",
    "content_due/body.fr.txt.hbs",
    "content_due/body.fr.html.hbs",
    "event_reminder/subject.en.hbs",
    "event_reminder/body.en.txt.hbs",
    "event_reminder/body.en.html.hbs",
    "event_reminder/subject.fr.hbs",
    "event_reminder/body.fr.txt.hbs",
    "event_reminder/body.fr.html.hbs",
    "producer_reminder/subject.en.hbs",
    "producer_reminder/body.en.txt.hbs",
    "producer_reminder/body.en.html.hbs",
    "booking_follow_up/subject.en.hbs",
    "booking_follow_up/body.en.txt.hbs",
    "booking_follow_up/body.en.html.hbs",
    "booking_follow_up/subject.fr.hbs",
    "booking_follow_up/body.fr.txt.hbs",
    "booking_follow_up/body.fr.html.hbs",
];

/// A rendered message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

handlebars::handlebars_helper!(short: |text: str, max: u64| shorten(text, max as usize));

/// At most `max` characters: longer text is cut at a word where it can be, with "…".
/// Keeps subjects readable whatever length a customer's title has.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

pub struct Templates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl Templates {
    /// The embedded templates, each replaced by `override_dir/<path>` where that exists,
    /// and the pages' templates (`pages`: name and source; `partials/…` are partials),
    /// in the same HTML registry so pages and e-mails share partials and escaping.
    /// A template that does not compile is an error here, at start, not at send time.
    pub fn load(override_dir: Option<&Path>, pages: &[(&str, &str)]) -> anyhow::Result<Templates> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        text.register_helper("short", Box::new(short));
        html.register_helper("short", Box::new(short));
        for (path, embedded) in TEMPLATES {
            let source = match override_dir.map(|d| d.join(path)).filter(|p| p.is_file()) {
                Some(file) => std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read e-mail template {}", file.display()))?,
                None => (*embedded).to_string(),
            };
            let name = path.trim_end_matches(".hbs");
            if let Some(partial) = name.strip_prefix("partials/") {
                let registry = if partial.ends_with("_html") {
                    &mut html
                } else {
                    &mut text
                };
                registry
                    .register_partial(partial, source)
                    .with_context(|| format!("e-mail template {path} does not compile"))?;
            } else {
                let registry = if name.ends_with(".html") {
                    &mut html
                } else {
                    &mut text
                };
                registry
                    .register_template_string(name, source)
                    .with_context(|| format!("e-mail template {path} does not compile"))?;
            }
        }
        for (name, source) in pages {
            let registered = match name.strip_prefix("partials/") {
                Some(partial) => html.register_partial(partial, *source),
                None => html.register_template_string(&format!("page/{name}"), *source),
            };
            registered.with_context(|| format!("page template {name} does not compile"))?;
        }
        Ok(Templates { text, html })
    }

    /// A page, HTML-escaped like the e-mails' HTML parts.
    pub fn page(&self, name: &str, data: &Value) -> anyhow::Result<String> {
        self.html
            .render(&format!("page/{name}"), data)
            .with_context(|| format!("rendering the page {name}"))
    }

    pub fn render(&self, kind: Kind, locale: &str, data: &Value) -> anyhow::Result<Rendered> {
        let locale = if kind.locales().contains(&locale) {
            locale
        } else {
            "en"
        };
        let k = kind.as_str();
        let subject = self
            .text
            .render(&format!("{k}/subject.{locale}"), data)
            .with_context(|| format!("rendering {k} subject"))?;
        let text = self
            .text
            .render(&format!("{k}/body.{locale}.txt"), data)
            .with_context(|| format!("rendering {k} text"))?;
        let html = self
            .html
            .render(&format!("{k}/body.{locale}.html"), data)
            .with_context(|| format!("rendering {k} HTML"))?;
        Ok(Rendered {
            // A subject is one line, whatever the template's whitespace.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text,
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_are_cut_at_a_word() {
        assert_eq!(shorten("Launch", 60), "Launch");
        let long = "Quarterly all-hands meeting for the whole company and every partner we have";
        let cut = shorten(long, 40);
        assert!(cut.chars().count() <= 40, "{cut}");
        assert_eq!(cut, "Quarterly all-hands meeting for the…");
        assert_eq!(shorten(&"x".repeat(100), 10), format!("{}…", "x".repeat(9)));
    }
}
