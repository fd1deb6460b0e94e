//! The black-box suite: one test binary, every test over HTTP (or the CLI) against the
//! real app. Set TEST_DATABASE_URL=postgres://… to run it all on PostgreSQL.

mod after_event;
mod availability;
mod back_office;
mod bounded;
mod browser;
mod catalogue;
mod changes;
mod cli;
mod directory;
mod dst;
mod email;
mod errors;
mod hardening;
mod helpers;
mod instances;
mod lookup;
mod openapi;
mod operations;
mod ordering;
mod pages;
mod privacy;
mod race;
mod reminders;
mod sessions;
mod smtp;
mod staff;
mod staff_pages;
mod webhooks;
