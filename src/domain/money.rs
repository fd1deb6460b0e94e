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

    /// "1,234.50 USD": for e-mails and descriptions, never for arithmetic.
    pub fn display(&self) -> String {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in units.chars().enumerate() {
            if i > 0 && (units.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped}.{:02} {}", abs % 100, self.currency)
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
