//! Conversions between the port's [`Value`] and the three DynamoDB attribute types we
//! meet: the DynamoDB SDK's, the DynamoDB Streams SDK's and the Lambda stream event's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use selfcare::ports::table::{Item, TableError, Value};

fn number(text: &str) -> Result<Value, TableError> {
    text.parse::<i64>()
        .map(Value::N)
        .map_err(|_| TableError::Invalid(format!("the number {text} is not a whole i64")))
}

/// Writes `fn $name(&$av) -> Result<Value, _>` for one attribute type. The three types have
/// the same variants; only how binary values are held differs (`$bytes` reads them).
macro_rules! value_from {
    ($name:ident, $item_name:ident, $av:ty, $bytes:expr) => {
        pub(crate) fn $name(av: &$av) -> Result<Value, TableError> {
            type Av = $av;
            Ok(match av {
                Av::S(s) => Value::S(s.clone()),
                Av::N(n) => number(n)?,
                Av::B(b) => Value::B($bytes(b)),
                Av::Bool(b) => Value::Bool(*b),
                Av::Null(_) => Value::Null,
                Av::L(list) => Value::L(list.iter().map($name).collect::<Result<_, _>>()?),
                Av::M(map) => Value::M(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), $name(v)?)))
                        .collect::<Result<_, TableError>>()?,
                ),
                Av::Ss(set) => Value::Ss(set.iter().cloned().collect::<BTreeSet<_>>()),
                _ => {
                    return Err(TableError::Invalid(
                        "number and binary sets are not used by selfcare".into(),
                    ));
                }
            })
        }

        pub(crate) fn $item_name(map: &HashMap<String, $av>) -> Result<Item, TableError> {
            map.iter()
                .map(|(k, v)| Ok((k.clone(), $name(v)?)))
                .collect()
        }
    };
}

value_from!(
    from_sdk,
    item_from_sdk,
    aws_sdk_dynamodb::types::AttributeValue,
    |b: &aws_smithy_types::Blob| b.as_ref().to_vec()
);
value_from!(
    from_stream_sdk,
    item_from_stream_sdk,
    aws_sdk_dynamodbstreams::types::AttributeValue,
    |b: &aws_smithy_types::Blob| b.as_ref().to_vec()
);
value_from!(
    from_lambda_event,
    item_from_lambda_event,
    serde_dynamo::AttributeValue,
    |b: &Vec<u8>| b.clone()
);

pub(crate) fn to_sdk(value: &Value) -> aws_sdk_dynamodb::types::AttributeValue {
    use aws_sdk_dynamodb::types::AttributeValue as Av;
    match value {
        Value::S(s) => Av::S(s.clone()),
        Value::N(n) => Av::N(n.to_string()),
        Value::B(b) => Av::B(aws_smithy_types::Blob::new(b.clone())),
        Value::Bool(b) => Av::Bool(*b),
        Value::Null => Av::Null(true),
        Value::L(list) => Av::L(list.iter().map(to_sdk).collect()),
        Value::M(map) => Av::M(map.iter().map(|(k, v)| (k.clone(), to_sdk(v))).collect()),
        Value::Ss(set) => Av::Ss(set.iter().cloned().collect()),
    }
}

pub(crate) fn item_to_sdk(
    item: &BTreeMap<String, Value>,
) -> HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), to_sdk(v))).collect()
}
