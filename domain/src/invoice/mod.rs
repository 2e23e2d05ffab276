//! The invoice: what providers actually billed, read from their exports and
//! APIs, and its reconciliation with the spend Bursar attributed.
//!
//! - [`bill`]: a bill line, whatever its source.
//! - [`focus_in`], [`openai_costs`], [`anthropic_cost`]: the three sources.
//! - [`matching`]: lines to provider, model and token class, with admins' rules.
//! - [`reconcile`], [`findings`], [`report`]: billed against attributed.

pub mod anthropic_cost;
pub mod bill;
pub mod findings;
pub mod focus_in;
pub mod matching;
pub mod openai_costs;
pub mod reconcile;
pub mod report;
pub mod true_up;
pub mod watch;

pub use bill::{BillLine, BillSource, Imported, SkippedRow, TokenClass};
pub use matching::MappingRule;
pub use reconcile::{AttributedPart, BillPart, ReconcileQuery};
pub use report::Reconciliation;

/// Reads a file of `source` (see each source's module for its shape).
///
/// Errors: a `body` field error saying why the file is not of that shape.
pub fn read(source: BillSource, text: &[u8]) -> Result<Imported, crate::FieldError> {
    match source {
        BillSource::Focus => focus_in::read(text),
        BillSource::OpenAi => openai_costs::read(text),
        BillSource::Anthropic => anthropic_cost::read(text),
    }
}

#[cfg(test)]
mod tests;
