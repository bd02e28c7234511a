//! # nudge-edge
//!
//! Segment's "Nudge (Actions)" destination as one pure Rust core. [`plan()`] takes Segment
//! events and a destination configuration and returns the HTTP requests to send to Nudge plus
//! a result for every event, without doing any I/O. The Cloudflare Worker, the npm package and
//! the CLI are thin shells around it.

mod host;
pub mod js;
#[cfg(all(target_arch = "wasm32", not(feature = "worker")))]
mod js_api;
pub mod json;
pub mod liquid;
pub mod mapping;
mod sort;
pub mod subscription;
pub mod text;
pub mod value;
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;

pub use config::{ConfigError, ConfigErrors};
pub use mapping::{transform, Mapping, MappingError, MappingErrorCode};
pub use subscription::{Subscription, SubscriptionError, SubscriptionErrorCode};
pub use value::Resolved;
pub mod actions;
// The operator's page at `GET /admin`, served by the Worker (tested natively).
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod admin_page;
pub mod batching;
pub mod config;
pub mod datetime;
// The ledger (de-duplication, the Delivery Overview): natively and in the Worker.
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod ledger;
// Delivering to Nudge, both modes: natively (tested there) and in the Worker, never in the npm
// package.
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod delivery;
pub mod event;
pub mod fields;
// The Worker's front door: natively (tested there) and in the Worker, never in the npm package.
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod ingest;
pub mod plan;
pub mod property;
// The Event Tester of the admin page: Worker-only, tested natively.
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod tester;
// Queue mode's decisions, likewise Worker-only.
#[cfg(any(not(target_arch = "wasm32"), feature = "worker"))]
pub mod queue;

pub use actions::Action;
pub use config::{Config, MappingConfig, Settings};
pub use fields::{FieldError, FieldErrorCode};
pub use plan::{plan, EventResult, Plan, Planner, Request, Status};
