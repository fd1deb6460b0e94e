//! Property tests of the parsers that face the outside world: whatever arrives, they
//! answer (never panic), and what they accept has the shape the rest of the code relies
//! on. A small deterministic generator keeps them reproducible without extra crates.

use serde_json::json;

use super::input::{valid_email, Errors, Fields};
use super::order::{parse_order, parse_slot, MAX_DURATION, MIN_DURATION};
use super::reservation_number::ReservationNumber;

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A string of up to `max` characters drawn from a mix of ASCII, separators,
    /// controls and wide characters.
    fn string(&mut self, max: u64) -> String {
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

#[test]
fn durations_are_accepted_exactly_when_whole_quarter_hours_in_range() {
    let mut g = Gen(42);
    for _ in 0..5_000 {
        let minutes = g.below(1_000) as i64 - 100;
        let body = json!({"package": "event-standard", "start": "2027-02-10T10:00", "time_zone": "Europe/Paris", "duration_minutes": minutes});
        let mut errors = Errors::default();
        let slot = parse_slot(&Fields::root(&body, &mut errors), &mut errors, None);
        let expected = (MIN_DURATION..=MAX_DURATION).contains(&minutes) && minutes % 15 == 0;
        assert_eq!(slot.is_some(), expected, "{minutes}");
        if !expected {
            assert_eq!(errors.0[0].code, "invalid_duration");
        }
    }
}

#[test]
fn orders_of_random_text_are_refused_field_by_field_never_panicking() {
    let mut g = Gen(7);
    let fields = ["package", "start", "time_zone", "site", "company"];
    for _ in 0..3_000 {
        let mut body = json!({
            "contact": {"first_name": g.string(8), "last_name": g.string(8), "phone": g.string(12), "email": g.string(20)},
            "company": "Acme", "site": "acme.webex.com", "package": "event-standard",
            "start": "2027-02-10T10:00", "time_zone": "Europe/Paris", "duration_minutes": 60,
            "meeting": {"scheduled": true, "host_id": g.string(6)}, "event": {"title": g.string(10), "language": g.string(5)},
        });
        body[fields[g.below(fields.len() as u64) as usize]] = json!(g.string(30));
        match parse_order(&body) {
            Ok(order) => {
                // What is accepted is clean: no control characters got through.
                for text in [
                    &order.contact.first_name,
                    &order.contact.email,
                    &order.company,
                    &order.site,
                    &order.event.title,
                ] {
                    assert!(
                        !text
                            .chars()
                            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r'),
                        "{text:?}"
                    );
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                assert!(
                    errors.iter().all(|e| !e.field.is_empty()
                        && !e.code.is_empty()
                        && !e.message.is_empty()),
                    "{errors:?}"
                );
            }
        }
    }
}
