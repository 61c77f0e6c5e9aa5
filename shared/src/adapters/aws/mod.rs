//! Adapters on AWS: DynamoDB, S3, SES v2. Each owns its service's request shapes.

mod attributes;
pub mod dynamodb;
pub mod faults;
pub mod s3;
pub mod ses;
pub mod stream;

pub use dynamodb::{DynamoTable, ensure_table};
pub use s3::S3Blobs;
pub use ses::SesMailer;
pub use stream::{DynamoChangeFeed, changes_from_event};
