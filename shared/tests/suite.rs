//! The domain and API tests, one module a file, in one test binary: each binary links the
//! whole crate and the AWS SDKs, and linking one instead of fourteen is most of what this
//! saves CI. The contract suites (`conformance/`) are the other binary.

mod common;

mod alerts;
mod api;
mod billing;
mod branding;
mod cost_centres;
mod exports;
mod identity;
mod language;
mod onboarding;
mod orders;
mod outbox;
mod payments;
mod service_groups;
mod tenants_and_accounts;
mod two_factor;
mod usage;
