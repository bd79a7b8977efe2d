//! lojal: storefront widgets for loyalty, games, feedback and recommendations.
//!
//! `core` is pure Rust and builds everywhere (the reference server shares its wire types);
//! everything that needs a browser sits behind the default `ui` feature.

pub mod core;

#[cfg(feature = "ui")]
pub mod api;
#[cfg(feature = "life")]
pub mod life;
#[cfg(feature = "ui")]
pub mod mount;
#[cfg(feature = "ui")]
pub mod widgets;
