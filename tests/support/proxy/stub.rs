//! What the proxy answers in stub mode, without an upstream: `{}` to every call (an update
//! succeeded), except DescribeUserPool, which the tool reads before any write: a pool that
//! defines `custom:tier`, the attribute the benchmarks send.

use super::http::Request;

pub fn answer(op: &str, request: &Request) -> Vec<u8> {
    if op != "DescribeUserPool" {
        return b"{}".to_vec();
    }
    let id = serde_json::from_slice::<serde_json::Value>(&request.body)
        .ok()
        .and_then(|v| v.get("UserPoolId")?.as_str().map(str::to_string))
        .unwrap_or_default();
    serde_json::json!({
        "UserPool": {
            "Id": id,
            "Name": "stub",
            "SchemaAttributes": [{
                "Name": "custom:tier",
                "AttributeDataType": "String",
                "Mutable": true,
                "DeveloperOnlyAttribute": false,
            }],
        }
    })
    .to_string()
    .into_bytes()
}
