//! The catalogue of packages, services, extensions and cancellation policies, as data.
//!
//! The data lives in `catalogue.json`, embedded in the binary; this module turns it
//! into typed values once and answers questions about it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::locale::Locale;
use super::money::Money;
use super::policy::PolicyRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Centre {
    Meeting,
    Training,
    Event,
}

impl Centre {
    pub const ALL: [Centre; 3] = [Centre::Meeting, Centre::Training, Centre::Event];

    pub fn as_str(self) -> &'static str {
        match self {
            Centre::Meeting => "meeting",
            Centre::Training => "training",
            Centre::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<Centre> {
        Centre::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExtensionDef {
    pub name: String,
    pub price_minor: i64,
    pub unit: String,
    #[serde(default)]
    pub automatic: bool,
    /// Sold by the hour with a minimum: the quantity is hours, and fewer than this many
    /// minutes are billed as this many (consultation and rehearsal: 1 h 30).
    #[serde(default)]
    pub minimum_minutes: Option<i64>,
}

impl ExtensionDef {
    /// Minutes billed for `quantity` (hours when sold by the hour), if sold by time.
    pub fn billed_minutes(&self, quantity: i64) -> Option<i64> {
        self.minimum_minutes.map(|min| (quantity * 60).max(min))
    }

    /// What `quantity` of it costs, in minor units.
    pub fn price_of(&self, quantity: i64) -> i64 {
        match self.billed_minutes(quantity) {
            Some(minutes) => self.price_minor * minutes / 60,
            None => self.price_minor * quantity,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub seed_name: String,
    pub centre: Centre,
    pub description: String,
    pub requires_scheduled_meeting: bool,
    pub lead_time_days: i64,
    pub base_price_minor: i64,
    /// Minutes of live event the base price covers; longer events add `extra-hour`.
    pub included_minutes: i64,
    #[serde(default)]
    pub production_minutes: Option<i64>,
    pub included: Vec<String>,
    pub optional: Vec<String>,
    pub extensions: Vec<String>,
    pub cancellation_policy: String,
}

/// An extension's name and unit in another language.
#[derive(Debug, Clone, Deserialize)]
pub struct ExtensionText {
    pub name: String,
    pub unit: String,
}

/// The catalogue's texts in a language other than English, by id.
#[derive(Debug, Default, Deserialize)]
pub struct Texts {
    pub services: BTreeMap<String, String>,
    pub extensions: BTreeMap<String, ExtensionText>,
    /// Package descriptions.
    pub packages: BTreeMap<String, String>,
    /// Cancellation rules' descriptions, by rule.
    pub policies: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct Catalogue {
    pub currency: String,
    pub services: BTreeMap<String, String>,
    pub extensions: BTreeMap<String, ExtensionDef>,
    pub cancellation_policies: BTreeMap<String, Vec<PolicyRule>>,
    /// By locale (`fr`); English is the catalogue itself.
    #[serde(default)]
    pub translations: BTreeMap<String, Texts>,
    pub packages: Vec<Package>,
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

impl Catalogue {
    /// The catalogue embedded in the binary. Its consistency is checked by a unit test,
    /// so a bad edit of the data file fails the build's tests, not a customer's order.
    pub fn get() -> &'static Catalogue {
        CATALOGUE.get_or_init(|| {
            serde_json::from_str(include_str!("catalogue.json"))
                .expect("the embedded catalogue.json is valid (checked by tests)")
        })
    }

    pub fn package(&self, id: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.id == id.trim())
    }

    pub fn package_ids(&self) -> Vec<&str> {
        self.packages.iter().map(|p| p.id.as_str()).collect()
    }

    pub fn money(&self, amount_minor: i64) -> Money {
        Money::new(amount_minor, &self.currency)
    }

    pub fn policy(&self, package: &Package) -> &[PolicyRule] {
        self.cancellation_policies
            .get(&package.cancellation_policy)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn texts(&self, locale: Locale) -> Option<&Texts> {
        match locale {
            Locale::En => None,
            other => self.translations.get(other.as_str()),
        }
    }

    /// A service's description in `locale` (English where no translation exists).
    pub fn service_text<'a>(&'a self, id: &'a str, locale: Locale) -> &'a str {
        self.texts(locale)
            .and_then(|t| t.services.get(id))
            .or_else(|| self.services.get(id))
            .map_or(id, String::as_str)
    }

    /// An extension's name and unit in `locale`.
    pub fn extension_text<'a>(&'a self, id: &'a str, locale: Locale) -> (&'a str, &'a str) {
        if let Some(t) = self.texts(locale).and_then(|t| t.extensions.get(id)) {
            return (&t.name, &t.unit);
        }
        self.extensions
            .get(id)
            .map_or((id, ""), |e| (e.name.as_str(), e.unit.as_str()))
    }

    pub fn package_description<'a>(&'a self, package: &'a Package, locale: Locale) -> &'a str {
        self.texts(locale)
            .and_then(|t| t.packages.get(&package.id))
            .unwrap_or(&package.description)
    }

    /// A cancellation rule's description in `locale`.
    pub fn policy_text<'a>(&'a self, rule: &'a PolicyRule, locale: Locale) -> &'a str {
        self.texts(locale)
            .and_then(|t| t.policies.get(&rule.rule))
            .unwrap_or(&rule.description)
    }

    /// Ids a customer may order in `extensions` for this package: its extensions that are
    /// not added automatically, and its optional services.
    pub fn orderable<'a>(&'a self, package: &'a Package) -> Vec<&'a str> {
        package
            .optional
            .iter()
            .chain(package.extensions.iter())
            .filter(|id| self.extensions.get(*id).is_some_and(|e| !e.automatic))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_is_consistent() {
        let c = Catalogue::get();
        assert_eq!(c.packages.len(), 4);
        for p in &c.packages {
            for s in p.included.iter().chain(&p.optional) {
                assert!(c.services.contains_key(s), "{}: unknown service {s}", p.id);
            }
            for e in p.optional.iter().chain(&p.extensions) {
                assert!(
                    c.extensions.contains_key(e),
                    "{}: unknown extension {e}",
                    p.id
                );
            }
            let policy = c.policy(p);
            assert!(!policy.is_empty(), "{}: no cancellation policy", p.id);
            assert_eq!(policy.last().unwrap().min_hours_before, 0);
            assert!(p.base_price_minor > 0 && p.lead_time_days >= 0);
        }
        // Every text has its French translation.
        let fr = &c.translations["fr"];
        for id in c.services.keys() {
            assert!(fr.services.contains_key(id), "no French for service {id}");
        }
        for id in c.extensions.keys() {
            assert!(
                fr.extensions.contains_key(id),
                "no French for extension {id}"
            );
        }
        for p in &c.packages {
            assert!(fr.packages.contains_key(&p.id), "no French for {}", p.id);
            for rule in c.policy(p) {
                assert!(
                    fr.policies.contains_key(&rule.rule),
                    "no French for {}",
                    rule.rule
                );
            }
        }
        let premium = c.package("event-premium").unwrap();
        assert!(!premium.requires_scheduled_meeting);
        assert!(c
            .packages
            .iter()
            .filter(|p| p.id != "event-premium")
            .all(|p| p.requires_scheduled_meeting));
    }
}
