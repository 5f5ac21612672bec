//! One integration-test binary; a module per area.

mod support;

mod apply;
mod check;
mod checklist;
mod cli;
mod codes;
mod cron;
mod enrich;
mod import;
mod linkage;
mod mail;
mod mall_writes;
mod masters;
mod orders;
mod report;
mod rules;
mod shipping;
mod store;
mod write_back;
