//! The subcommands other than `serve`, one module each; every one opens what it needs through
//! [`crate::open`] and prints its result for a person or a script.

pub mod admin;
pub mod audit;
pub mod jobs;
pub mod keys;
pub mod receipts;
