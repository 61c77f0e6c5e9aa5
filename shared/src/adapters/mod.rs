//! Implementations of the ports: on AWS, embedded on local disk, and wrappers that count
//! round trips or inject faults for the tests.

pub mod aws;
pub mod counting;
pub mod embedded;
