//! selfcare: the domain crate. Imports run one way: `http` and `events` call `domain`,
//! which keeps its records through `store` on the `ports`; `adapters` implement the ports;
//! `platform` builds the ports once per process from `config`.

pub mod adapters;
pub mod config;
pub mod demo;
pub mod domain;
pub mod events;
pub mod export;
pub mod http;
pub mod platform;
pub mod ports;
pub mod store;
