//! Configuration: YAML with positions, the diagnostic type, shop settings, the pipeline spec.

pub mod codes;
pub mod diagnostic;
pub mod pipeline;
pub mod settings;
pub mod yaml;

pub use diagnostic::{Diagnostic, DiagnosticError, Diagnostics, Place, Severity};
