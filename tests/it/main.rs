//! One integration-test binary; a module per area.

mod support;

mod check;
mod cli;
mod codes;
mod enrich;
mod import;
mod mail;
mod masters;
mod orders;
mod rules;
mod store;
