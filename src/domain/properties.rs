//! Property tests of the parsers that face the outside world: whatever arrives, they
//! answer (never panic), and what they accept has the shape the rest of the code relies
//! on. A small deterministic generator keeps them reproducible without extra crates.

use super::reservation_number::ReservationNumber;
use super::text::valid_email;

pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A string of up to `max` characters drawn from a mix of ASCII, separators,
    /// controls and wide characters.
    pub fn string(&mut self, max: u64) -> String {
        const POOL: &[char] = &[
            'a', 'Z', '0', '9', '-', '@', '.', ' ', '_', '+', 'I', 'L', 'O', 'U', '\0', '\n',
            '\u{7f}', 'é', 'ß', '東', '💥', '\u{202e}', '/', ':', 'T',
        ];
        (0..self.below(max + 1))
            .map(|_| POOL[self.below(POOL.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn reservation_numbers_parse_whatever_arrives_and_accept_only_ten_symbols() {
    let mut g = Gen(0xDEAD_BEEF);
    for _ in 0..20_000 {
        let s = g.string(16);
        if let Ok(n) = ReservationNumber::parse(&s) {
            assert_eq!(n.as_key().len(), 10, "{s:?}");
            assert!(
                n.as_key()
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
                "{s:?}"
            );
            assert_eq!(ReservationNumber::parse(&n.to_string()).unwrap(), n);
        }
    }
}

#[test]
fn email_check_never_panics_and_accepts_ordinary_addresses() {
    let mut g = Gen(0x1234_5678);
    for _ in 0..20_000 {
        let s = g.string(40);
        let ok = valid_email(&s);
        if ok {
            assert!(
                s.contains('@') && !s.chars().any(char::is_whitespace) && !s.contains('\0'),
                "{s:?}"
            );
        }
    }
    for _ in 0..2_000 {
        let local: String = (0..1 + g.below(12))
            .map(|_| (b'a' + g.below(26) as u8) as char)
            .collect();
        let domain: String = (0..1 + g.below(12))
            .map(|_| (b'a' + g.below(26) as u8) as char)
            .collect();
        let address = format!("{local}.{}@{domain}.example", g.below(100));
        assert!(valid_email(&address), "{address}");
    }
}
