//! selfcare: the domain crate. Imports run one way: `http` and `events` call `domain`,
//! which keeps its records through `store` on the `ports`; `adapters` implement the ports.

pub mod adapters;
pub mod domain;
pub mod http;
pub mod ports;
pub mod store;
