//! The languages pages and e-mails are written in (English and French), chosen from a
//! tag or an `Accept-Language` header, and numbers and money as each writes them.

use serde::Serialize;

use super::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Fr,
}

/// U+202F NARROW NO-BREAK SPACE: French groups thousands with it (CLDR).
const GROUP_FR: char = '\u{202f}';
/// U+00A0 NO-BREAK SPACE: between an amount and its currency, the line never breaks.
const NBSP: char = '\u{a0}';

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// A BCP 47 tag's locale, by its primary subtag: `fr-CA` is French.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.as_str() == primary)
    }

    /// The locale a browser prefers most among ours, by the `q` weights of its
    /// `Accept-Language`; English when it names neither.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (i, part) in header.split(',').enumerate().take(32) {
            let mut pieces = part.split(';');
            let Some(locale) = pieces.next().and_then(Locale::parse) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Higher weight wins; between equals, the one listed first.
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, locale));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or_default()
    }

    /// A whole number with the locale's grouping: `1,100` / `1 100`.
    pub fn integer(self, n: u64) -> String {
        let digits = n.to_string();
        let sep = match self {
            Locale::En => ',',
            Locale::Fr => GROUP_FR,
        };
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(ch);
        }
        out
    }

    /// An amount as the locale writes it: `1,100.00 USD` / `1 100,00 $US`.
    pub fn money(self, m: &Money) -> String {
        let sign = if m.amount_minor < 0 { "-" } else { "" };
        let abs = m.amount_minor.unsigned_abs();
        let units = self.integer(abs / 100);
        let cents = abs % 100;
        match self {
            Locale::En => format!("{sign}{units}.{cents:02} {}", m.currency),
            Locale::Fr => {
                let symbol = match m.currency.as_str() {
                    "USD" => "$US",
                    "EUR" => "€",
                    "CAD" => "$CA",
                    "GBP" => "£GB",
                    "CHF" => "CHF",
                    other => other,
                };
                format!("{sign}{units},{cents:02}{NBSP}{symbol}")
            }
        }
    }
}

/// The languages offered for the support, by tag, with their names in each locale.
pub const LANGUAGES: &[(&str, &str, &str)] = &[
    ("en", "English", "anglais"),
    ("fr", "French", "français"),
    ("de", "German", "allemand"),
    ("es", "Spanish", "espagnol"),
    ("it", "Italian", "italien"),
    ("pt", "Portuguese", "portugais"),
    ("nl", "Dutch", "néerlandais"),
    ("ja", "Japanese", "japonais"),
    ("zh", "Chinese", "chinois"),
    ("ko", "Korean", "coréen"),
];

/// A language's name for the reader; the tag itself when we have no name for it.
pub fn language_name(tag: &str, locale: Locale) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    LANGUAGES
        .iter()
        .find(|(t, _, _)| *t == primary)
        .map(|(_, en, fr)| match locale {
            Locale::En => en.to_string(),
            Locale::Fr => fr.to_string(),
        })
        .unwrap_or_else(|| tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_each_locale_writes_it() {
        let m = Money::new(110000, "USD");
        assert_eq!(Locale::En.money(&m), "1,100.00 USD");
        assert_eq!(Locale::Fr.money(&m), "1\u{202f}100,00\u{a0}$US");
        assert_eq!(
            Locale::Fr.money(&Money::new(123456789, "EUR")),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
        assert_eq!(Locale::En.money(&Money::new(5, "EUR")), "0.05 EUR");
        assert_eq!(
            Locale::Fr.money(&Money::new(-4500, "USD")),
            "-45,00\u{a0}$US"
        );
        assert_eq!(Locale::En.integer(999), "999");
        assert_eq!(Locale::En.integer(1000), "1,000");
    }

    #[test]
    fn languages_are_named_in_the_readers_words() {
        assert_eq!(language_name("fr", Locale::En), "French");
        assert_eq!(language_name("fr-CA", Locale::Fr), "français");
        assert_eq!(language_name("tlh", Locale::En), "tlh");
    }

    #[test]
    fn the_browser_preference_picks_the_locale() {
        assert_eq!(
            Locale::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Locale::Fr
        );
        assert_eq!(Locale::from_accept_language("en-GB,fr;q=0.5"), Locale::En);
        assert_eq!(
            Locale::from_accept_language("de-DE,fr;q=0.7,en;q=0.3"),
            Locale::Fr
        );
        assert_eq!(Locale::from_accept_language("de, ja"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
        assert_eq!(Locale::from_accept_language("fr;q=0, en;q=0.1"), Locale::En);
        assert_eq!(
            Locale::from_accept_language("en;q=0.5, fr;q=0.5"),
            Locale::En
        );
        assert_eq!(Locale::parse("FR-ca"), Some(Locale::Fr));
        assert_eq!(Locale::parse("es"), None);
    }
}
