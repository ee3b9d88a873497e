//! What the proxy answers in stub mode, without an upstream: `{}` to every call (an update
//! succeeded), except DescribeUserPool, which the tool reads before any write: a pool that
//! defines `custom:tier`, the attribute the benchmarks send; and AdminGetUser: the user
//! named, with no attributes, or UserNotFoundException for a username that starts with
//! `absent-` (so that a benchmark can make rows that cost a read and no write).

use super::http::Request;

/// The username a request names, if any.
fn username(request: &Request) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(&request.body)
        .ok()
        .and_then(|v| v.get("Username")?.as_str().map(str::to_string))
}

/// The error code the stub answers `op` with, if it refuses it.
pub fn refused(op: &str, request: &Request) -> Option<&'static str> {
    let absent = username(request).is_some_and(|u| u.starts_with("absent-"));
    (op == "AdminGetUser" && absent).then_some("UserNotFoundException")
}

pub fn answer(op: &str, request: &Request) -> Vec<u8> {
    if op == "AdminGetUser" {
        return serde_json::json!({
            "Username": username(request).unwrap_or_default(),
            "UserAttributes": [],
            "Enabled": true,
            "UserStatus": "CONFIRMED",
        })
        .to_string()
        .into_bytes();
    }
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
