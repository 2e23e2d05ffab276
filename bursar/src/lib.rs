//! The `bursar` command: [`cli`] parses and runs each subcommand over the
//! runtime in the `server` crate; [`tools`] holds what only the command
//! line uses, the demo organisation's generator and `bursar bench`.

pub mod cli;
pub mod tools;
