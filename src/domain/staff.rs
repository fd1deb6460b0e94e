//! Staff as the rules see them: a role, and who they are in a booking's history.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Scheduler,
    /// Sees their own schedule only.
    Producer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Scheduler, Role::Producer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Scheduler => "scheduler",
            Role::Producer => "producer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn rank(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Scheduler => 2,
            Role::Producer => 1,
        }
    }

    /// Admins may do everything a scheduler may, schedulers everything a producer may.
    pub fn allows(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }
}

/// A person on the staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// Who a valid staff token or session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The token's id, or the session's.
    pub token_id: String,
    pub role: Role,
    /// The person, when the token or session is someone's (tokens made before staff
    /// were people belong to no one).
    pub member: Option<Member>,
}

impl Staff {
    /// How history names this person: by name, or by the token's id (never the token).
    pub fn actor(&self) -> String {
        match &self.member {
            Some(m) => format!("staff:{}", m.name),
            None => format!("staff:{}", self.token_id),
        }
    }
}

/// Who acts: the customer, a member of staff, or the service itself (a scheduled job or
/// a command, by name).
#[derive(Debug, Clone)]
pub enum Actor {
    Customer,
    Staff(Staff),
    Service(&'static str),
}

impl Actor {
    pub fn name(&self) -> String {
        match self {
            Actor::Customer => "customer".into(),
            Actor::Staff(s) => s.actor(),
            Actor::Service(job) => format!("service:{job}"),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Actor::Staff(_))
    }
}

/// A staff member who looks after bookings: the customer's contact for anything but the
/// date and time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coordinator {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// The coordinator for a booking whose producer works in `zone`: those who cover that
/// zone, else those who cover any region; among them, whoever was given the fewest
/// bookings lately (`loads`), then by name, so bookings go round in turn.
pub fn choose_coordinator(
    candidates: &[(Coordinator, Vec<chrono_tz::Tz>)],
    zone: chrono_tz::Tz,
    loads: &std::collections::HashMap<String, i64>,
) -> Option<Coordinator> {
    let regional: Vec<&Coordinator> = candidates
        .iter()
        .filter(|(_, zones)| zones.contains(&zone))
        .map(|(c, _)| c)
        .collect();
    let pool = if regional.is_empty() {
        candidates
            .iter()
            .filter(|(_, zones)| zones.is_empty())
            .map(|(c, _)| c)
            .collect()
    } else {
        regional
    };
    pool.into_iter()
        .min_by(|a, b| {
            let load = |c: &Coordinator| loads.get(&c.id).copied().unwrap_or(0);
            load(a).cmp(&load(b)).then_with(|| a.name.cmp(&b.name))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Scheduler));
        assert!(Role::Scheduler.allows(Role::Producer));
        assert!(!Role::Producer.allows(Role::Scheduler));
        assert!(!Role::Scheduler.allows(Role::Admin));
        assert_eq!(Role::parse("producer"), Some(Role::Producer));
        assert_eq!(Role::parse("boss"), None);
    }

    #[test]
    fn coordinators_by_region_then_in_turn() {
        let c = |id: &str, name: &str| Coordinator {
            id: id.into(),
            name: name.into(),
            email: format!("{id}@example.com"),
        };
        let paris = chrono_tz::Europe::Paris;
        let tokyo = chrono_tz::Asia::Tokyo;
        let all = vec![
            (c("a", "Ana"), vec![]),
            (c("b", "Bea"), vec![]),
            (c("f", "Flo"), vec![paris]),
        ];
        let mut loads = std::collections::HashMap::new();
        assert_eq!(choose_coordinator(&all, paris, &loads).unwrap().id, "f");
        assert_eq!(choose_coordinator(&all, tokyo, &loads).unwrap().id, "a");
        loads.insert("a".to_string(), 3);
        loads.insert("b".to_string(), 1);
        assert_eq!(choose_coordinator(&all, tokyo, &loads).unwrap().id, "b");
        assert_eq!(choose_coordinator(&[], tokyo, &loads), None);
        // Only regional coordinators, none for this zone: nobody.
        assert_eq!(choose_coordinator(&all[2..], tokyo, &loads), None);
    }
}
