//! The server side of the app (compiled only with `ssr`): the context server
//! functions read ([`context`]) and the one conversion of a failure into
//! what a page shows ([`errors`]).

pub mod context;
pub mod errors;
