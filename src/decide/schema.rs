//! The pool's schema (DescribeUserPool) and the checks it allows: an attribute the pool does not
//! define, an immutable one, a Number out of range or not a number, a String of the wrong length.
//!
//! Cognito checks these too, but only when the call is made; checking first means a typo in a
//! column name stops the run before the first write, and a bad row is reported with its line.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, SchemaAttributeType, UserPoolType,
};

use crate::cognito::rules::STANDARD_ATTRIBUTES;
use crate::model::row::{Change, Code, Problem, Record};

/// What the pool says of one attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrSchema {
    pub mutable: bool,
    pub number: bool,
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
}

/// The attributes of a pool.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    attrs: HashMap<String, AttrSchema>,
}

impl Schema {
    pub fn from_pool(pool: &UserPoolType) -> Schema {
        let attrs = pool
            .schema_attributes()
            .iter()
            .filter_map(|a| Some((name_of(a)?, attr_schema(a))))
            .collect();
        Schema { attrs }
    }

    pub fn from_attrs(attrs: impl IntoIterator<Item = (String, AttrSchema)>) -> Schema {
        Schema {
            attrs: attrs.into_iter().collect(),
        }
    }

    /// The schema of `name`. Standard attributes exist in every pool; a pool that does not
    /// list one (some emulators list none) is taken to allow it as a mutable string.
    pub fn get(&self, name: &str) -> Option<AttrSchema> {
        self.attrs.get(name).cloned().or_else(|| {
            STANDARD_ATTRIBUTES.contains(&name).then(|| AttrSchema {
                mutable: true,
                ..AttrSchema::default()
            })
        })
    }

    /// The names in `used` that the pool does not define, sorted.
    pub fn missing<'a>(&self, used: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let missing: BTreeSet<String> = used
            .into_iter()
            .filter(|n| self.get(n).is_none())
            .cloned()
            .collect();
        missing.into_iter().collect()
    }

    /// Adds a problem to `record` for every change the schema refuses. Mutability is not
    /// checked here: setting an immutable attribute to the value it already has is no change,
    /// so only the diff can tell (see [`Schema::check_mutable`]).
    pub fn check(&self, record: &mut Record) {
        for change in record.row.attrs() {
            let name = change.name.as_str();
            let Some(schema) = self.get(name) else {
                record.problems.push(Problem::attr(
                    Code::UnknownAttribute,
                    name,
                    "the user pool does not define this attribute",
                ));
                continue;
            };
            let Change::Set(value) = &change.change else {
                continue;
            };
            if let Some(message) = value_problem(&schema, value) {
                record
                    .problems
                    .push(Problem::attr(Code::SchemaViolation, name, message));
            }
        }
    }
}

impl Schema {
    /// Adds an `ImmutableAttribute` problem for each attribute in `changed` that the pool
    /// defines as immutable.
    pub fn check_mutable<'a>(
        &self,
        record: &mut Record,
        changed: impl IntoIterator<Item = &'a str>,
    ) {
        for name in changed {
            if self.get(name).is_some_and(|s| !s.mutable) {
                record.problems.push(Problem::attr(
                    Code::ImmutableAttribute,
                    name,
                    "the user pool defines this attribute as immutable",
                ));
            }
        }
    }
}

/// Why `value` does not fit `schema`, without quoting the value.
fn value_problem(schema: &AttrSchema, value: &str) -> Option<String> {
    if schema.number {
        let Some(n) = plain_decimal(value) else {
            return Some(
                "is a Number attribute and the value is not a number as Cognito stores one \
                 (an optional -, digits, optionally . and digits)"
                    .into(),
            );
        };
        if schema.min_value.is_some_and(|min| n < min)
            || schema.max_value.is_some_and(|max| n > max)
        {
            return Some(format!(
                "value is outside the pool's range {}..{}",
                fmt(schema.min_value),
                fmt(schema.max_value)
            ));
        }
        return None;
    }
    let len = value.chars().count();
    if schema.min_len.is_some_and(|min| len < min) || schema.max_len.is_some_and(|max| len > max) {
        return Some(format!(
            "value has {len} characters, the pool allows {}..{}",
            fmt(schema.min_len.map(|v| v as f64)),
            fmt(schema.max_len.map(|v| v as f64))
        ));
    }
    None
}

/// The value of a Number attribute, if `value` is written as Cognito stores one: an optional
/// `-`, digits, and optionally `.` and more digits. Refused: `NaN`, `inf`, spaces, exponents,
/// a leading `+`, `.5` and `5.`, which `f64::from_str` would take.
fn plain_decimal(value: &str) -> Option<f64> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let ok = match unsigned.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(unsigned),
    };
    // Plain decimals always parse (huge ones as infinity, which the range check handles).
    ok.then(|| value.parse().ok()).flatten()
}

fn fmt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn name_of(a: &SchemaAttributeType) -> Option<String> {
    let name = a.name()?;
    // DescribeUserPool names custom attributes with their prefix; accept either form.
    if STANDARD_ATTRIBUTES.contains(&name)
        || name.starts_with("custom:")
        || name.starts_with("dev:")
    {
        Some(name.to_string())
    } else if name == "sub" {
        None
    } else {
        Some(format!("custom:{name}"))
    }
}

fn attr_schema(a: &SchemaAttributeType) -> AttrSchema {
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<f64>().ok());
    let len = |s: Option<&str>| s.and_then(|s| s.parse::<usize>().ok());
    let strings = a.string_attribute_constraints();
    let numbers = a.number_attribute_constraints();
    AttrSchema {
        mutable: a.mutable().unwrap_or(true),
        number: a.attribute_data_type() == Some(&AttributeDataType::Number),
        min_len: len(strings.and_then(|c| c.min_length())),
        max_len: len(strings.and_then(|c| c.max_length())),
        min_value: num(numbers.and_then(|c| c.min_value())),
        max_value: num(numbers.and_then(|c| c.max_value())),
    }
}

#[cfg(test)]
mod tests;
