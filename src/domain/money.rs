//! Money in integer minor units with an ISO 4217 currency.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Money {
        Money {
            amount_minor,
            currency: currency.to_string(),
        }
    }

    /// "1,234.50 USD": for the API's explanations, never for arithmetic. Pages and
    /// e-mails write money in their reader's locale.
    pub fn display(&self) -> String {
        super::locale::Locale::En.money(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_grouped_units_and_cents() {
        assert_eq!(Money::new(123456789, "USD").display(), "1,234,567.89 USD");
        assert_eq!(Money::new(5, "EUR").display(), "0.05 EUR");
        assert_eq!(Money::new(100000, "USD").display(), "1,000.00 USD");
    }
}
