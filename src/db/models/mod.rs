//! One file a table: its row type and every query that reads or writes it.

/// A fixed piece of SQL over `$table` as a diesel expression of type `$ty`: no bound
/// value, a static query id, so each query using it is prepared once and cached.
macro_rules! fixed_sql {
    ($table:ident; $(#[$doc:meta])* $vis:vis $name:ident: $ty:ty = $sql:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        $vis struct $name;

        impl diesel::expression::Expression for $name {
            type SqlType = $ty;
        }

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl diesel::expression::AppearsOnTable<$table::table> for $name {}
        impl diesel::expression::SelectableExpression<$table::table> for $name {}
        impl diesel::expression::ValidGrouping<()> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
        impl diesel::expression::ValidGrouping<$table::producer_id> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

pub mod assignments;
pub mod booking_events;
pub mod bookings;
pub mod calendar_feeds;
pub mod closures;
pub mod event_reports;
pub mod idempotency_keys;
pub mod outbox;
pub mod producers;
pub mod reminders;
pub mod staff_invitations;
pub mod staff_members;
pub mod staff_sessions;
pub mod staff_tokens;
pub mod time_off;
pub mod web_sessions;
pub mod webhooks;
