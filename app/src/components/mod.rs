//! What several pages share: charts, number and money formatting, the call
//! list, the custom period form, the webhook field with its test button, the
//! background jobs panel, and how a page shows progress and errors.

pub mod calls;
pub mod chart;
pub mod feedback;
pub mod format;
pub mod jobs;
pub mod range;
pub mod user_menu;
pub mod webhook_field;
