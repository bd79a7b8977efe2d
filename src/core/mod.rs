//! The pure core: wire types, config parsing, formatting rules and arithmetic that every widget
//! relies on. Nothing here imports a browser crate, so it is tested natively with `cargo test`.

pub mod catalog;
pub mod config;
pub mod console;
pub mod css;
pub mod feedback;
pub mod games;
pub mod i18n;
pub mod json;
pub mod loyalty;
pub mod loyalty_source;
pub mod outbox;
pub mod pointer;
pub mod programme;
pub mod retry;
pub mod text;
pub mod url;
pub mod wire;
