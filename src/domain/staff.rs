//! Staff as the rules see them: a role, and who they are in a booking's history.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Scheduler,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Scheduler => "scheduler",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "scheduler" => Some(Role::Scheduler),
            _ => None,
        }
    }

    /// Admins may do everything a scheduler may.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || needed == Role::Scheduler
    }
}

/// Who a valid staff token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub token_id: String,
    pub role: Role,
}

impl Staff {
    /// How history names this person: the token's id, never the token.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.token_id)
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
