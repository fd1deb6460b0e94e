//! The pages' words in English and French (`messages.json`), and the cookie that keeps
//! the reader's choice of language.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::locale::Locale;

pub const LANG_COOKIE: &str = "greenroom_lang";

type Messages = BTreeMap<String, String>;

fn all() -> &'static BTreeMap<String, Messages> {
    static ALL: OnceLock<BTreeMap<String, Messages>> = OnceLock::new();
    ALL.get_or_init(|| {
        serde_json::from_str(include_str!("messages.json"))
            .expect("the embedded messages.json is valid (checked by tests)")
    })
}

/// Every message of the pages in `locale`.
pub fn messages(locale: Locale) -> &'static Messages {
    &all()[locale.as_str()]
}

/// One message with `{name}` placeholders filled in.
pub fn say(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = messages(locale)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string());
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Remember the reader's choice for a year.
pub fn lang_cookie(locale: Locale, secure: bool) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{}",
        locale.as_str(),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let en = messages(Locale::En);
        let fr = messages(Locale::Fr);
        let missing_fr: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
        let missing_en: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing_fr.is_empty(), "no French for {missing_fr:?}");
        assert!(missing_en.is_empty(), "no English for {missing_en:?}");
        for (k, v) in en {
            let placeholders = |s: &str| {
                let mut p: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|x| x.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                p.sort();
                p
            };
            assert_eq!(placeholders(v), placeholders(&fr[k]), "placeholders of {k}");
        }
    }
}
