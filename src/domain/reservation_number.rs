//! Reservation numbers: short, readable over the phone, unguessable.
//!
//! Ten symbols of Crockford's base 32 (no I, L, O or U), shown as `XXXXX-XXXXX`: 50 random
//! bits. Input is case-insensitive, hyphens and spaces are ignored, and the letters people
//! mistake for digits (I, L, O) are read as the digits they look like.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReservationNumber(String);

impl ReservationNumber {
    /// A fresh number from 50 bits of the operating system's randomness (via uuid v4,
    /// whose random bytes come from getrandom).
    pub fn generate() -> ReservationNumber {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        // Bytes 0..6 and 7 of a v4 uuid are fully random (the version lives in byte 6,
        // the variant in byte 8): 56 bits, of which we use 50.
        let mut bits: u64 = 0;
        for b in bytes[..6].iter().chain(&bytes[7..8]) {
            bits = (bits << 8) | u64::from(*b);
        }
        let mut s = String::with_capacity(LEN);
        for i in 0..LEN {
            let idx = (bits >> (5 * i)) & 31;
            s.push(ALPHABET[idx as usize] as char);
        }
        ReservationNumber(s)
    }

    /// Read a number as a person typed it.
    pub fn parse(input: &str) -> Result<ReservationNumber, String> {
        let mut s = String::with_capacity(LEN);
        for ch in input.trim().chars() {
            let c = match ch.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'I' | 'L' => '1',
                'O' => '0',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => {
                    return Err(format!(
                        "'{ch}' cannot appear in a reservation number: it has 10 letters and digits, like 7KQ2M-9XH4D"
                    ))
                }
            };
            s.push(c);
        }
        if s.len() != LEN {
            return Err(format!(
                "a reservation number has 10 letters and digits (like 7KQ2M-9XH4D); this one has {}",
                s.len()
            ));
        }
        Ok(ReservationNumber(s))
    }

    /// The canonical form stored in the database: ten upper-case symbols, no hyphen.
    pub fn as_key(&self) -> &str {
        &self.0
    }

    pub fn from_key(key: &str) -> ReservationNumber {
        ReservationNumber(key.to_string())
    }
}

impl fmt::Display for ReservationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..5], &self.0[5..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_numbers_round_trip_and_differ() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let n = ReservationNumber::generate();
            let shown = n.to_string();
            assert_eq!(shown.len(), 11);
            assert_eq!(ReservationNumber::parse(&shown).unwrap(), n);
            assert_eq!(ReservationNumber::parse(&shown.to_lowercase()).unwrap(), n);
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn every_symbol_position_varies() {
        // A stuck position would mean fewer random bits than claimed.
        let numbers: Vec<_> = (0..2000).map(|_| ReservationNumber::generate()).collect();
        for i in 0..LEN {
            let distinct: HashSet<_> = numbers.iter().map(|n| n.0.as_bytes()[i]).collect();
            assert!(
                distinct.len() > 20,
                "position {i} has {} symbols",
                distinct.len()
            );
        }
    }

    #[test]
    fn lenient_input() {
        let n = ReservationNumber::parse("abcde-fgh10").unwrap();
        assert_eq!(n.as_key(), "ABCDEFGH10");
        assert_eq!(
            ReservationNumber::parse(" abcde fghlo ").unwrap().as_key(),
            "ABCDEFGH10"
        );
        assert!(ReservationNumber::parse("ABCDE").is_err());
        assert!(ReservationNumber::parse("ABCDE-FGHU1").is_err());
        assert!(ReservationNumber::parse("ABCDE-FGH1é").is_err());
    }
}
