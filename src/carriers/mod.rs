pub mod tracking;
