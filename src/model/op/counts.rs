//! Operations counted by kind, as the plan summary and the report show them (`ops` in `--json`
//! and the JSON report). Apart from `op.rs`, where a new kind registers: the counts follow
//! [`OpKind::ALL`] and need nothing from it.

use std::collections::BTreeMap;

use super::OpKind;

/// Operations counted by kind (the summary's and the report's counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Counts(pub BTreeMap<OpKind, u64>);

impl Counts {
    pub fn add(&mut self, kind: OpKind, n: u64) {
        *self.0.entry(kind).or_default() += n;
    }

    pub fn get(&self, kind: OpKind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `3 attributes set, 1 attributes deleted` (kinds with none left out).
    pub fn line(&self) -> String {
        let parts: Vec<String> = OpKind::ALL
            .iter()
            .filter(|k| self.get(**k) > 0)
            .map(|k| format!("{} {}", indicatif::HumanCount(self.get(*k)), k.noun()))
            .collect();
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind() {
        let mut c = Counts::default();
        c.add(OpKind::SetAttribute, 1200);
        c.add(OpKind::DeleteAttribute, 1);
        assert_eq!(c.total(), 1201);
        assert_eq!(c.line(), "1,200 attributes set, 1 attributes deleted");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"set_attribute":1200,"delete_attribute":1}"#);
    }
}
