//! selfcare: the domain crate. Imports run one way: `http` and `events` call `domain`,
//! which keeps its records through `store` on the `ports`. The adapters that implement the
//! ports live in crates of their own (`adapters/aws`, `adapters/embedded`), which fill in a
//! `platform::Platform` once per process; this crate links no AWS SDK and no local store.

pub mod demo;
pub mod domain;
pub mod events;
pub mod export;
pub mod http;
pub mod ids;
pub mod platform;
pub mod ports;
pub mod store;
