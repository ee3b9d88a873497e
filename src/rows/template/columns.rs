//! The columns a computed rule may set besides attributes: `groups_add` and `groups_remove`
//! (`--add-group NAME`, `--remove-group NAME`, or `--set groups_add=TEMPLATE`: group names
//! separated by whitespace) and `enabled` (`--set enabled=TEMPLATE`, rendering to `true` or
//! `false`). They are the reserved input columns of the same names, which the readers turn
//! into operations; here they are only rendered and checked, one user at a time.

/// The reserved columns, in the order a row writes them.
pub const COLUMNS: [&str; 3] = ["groups_add", "groups_remove", "enabled"];

/// Whether `--set NAME=...` names a reserved column rather than an attribute.
pub fn reserved(name: &str) -> bool {
    COLUMNS.contains(&name)
}

/// A group name as Cognito takes it (CreateGroup's GroupName: 1 to 128 characters, letters,
/// marks, symbols, numbers and punctuation, so never whitespace or a control character).
pub fn check_group(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > 128 {
        return Err(format!("{n} characters (a group name has 1 to 128)"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("holds whitespace or a control character, which no group name has".into());
    }
    Ok(())
}

/// What a reserved column's template rendered to, for one user: the row's value (group names
/// joined by a space; `true`/`false`), None for no change, or why the row is invalid (never
/// quoting the value, which may come from an attribute).
pub fn render(column: &str, rendered: &str) -> Result<Option<String>, String> {
    let text = rendered.trim();
    if column == "enabled" {
        return match text {
            "true" | "false" => Ok(Some(text.to_string())),
            _ => Err("renders neither true nor false (it must be one of them)".into()),
        };
    }
    let mut names: Vec<&str> = Vec::new();
    for name in text.split_whitespace() {
        check_group(name).map_err(|why| format!("renders a group name that {why}"))?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok((!names.is_empty()).then(|| names.join(" ")))
}

/// A group both added and removed for one user (the row would contradict itself).
pub fn both(changes: &[(String, Option<String>)]) -> Option<String> {
    let names = |column: &str| -> Vec<String> {
        changes
            .iter()
            .filter(|(c, _)| c == column)
            .filter_map(|(_, v)| v.as_deref())
            .flat_map(|v| v.split(' ').map(str::to_string))
            .collect()
    };
    let removed = names("groups_remove");
    names("groups_add")
        .into_iter()
        .find(|g| removed.contains(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_renders_to_true_or_false_only() {
        assert_eq!(
            render("enabled", " false\n").unwrap().as_deref(),
            Some("false")
        );
        assert_eq!(render("enabled", "true").unwrap().as_deref(), Some("true"));
        for bad in ["", "False", "yes", "1", "true false"] {
            assert!(render("enabled", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn group_names_are_split_checked_and_deduplicated() {
        let got = render("groups_add", " pro  tenant-x pro ").unwrap();
        assert_eq!(got.as_deref(), Some("pro tenant-x"));
        assert_eq!(render("groups_remove", "  ").unwrap(), None);
        assert!(render("groups_add", &"x".repeat(129)).is_err());
        assert!(check_group("a\u{7}b").is_err());
        assert!(check_group("[admins]").is_ok());
    }

    #[test]
    fn a_group_added_and_removed_is_found() {
        let changes = vec![
            ("groups_add".to_string(), Some("a b".to_string())),
            ("groups_remove".to_string(), Some("c b".to_string())),
        ];
        assert_eq!(both(&changes).as_deref(), Some("b"));
        assert_eq!(both(&changes[..1]), None);
    }

    /// The rule evaluated for a user whose `custom:tenant` is `tenant`.
    fn eval(sets: &[&str], where_: Option<&str>, tenant: &str) -> crate::rows::template::Computed {
        use crate::rows::template::{Rules, Subject};
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let rules = Rules::parse(&sets, where_, false).unwrap();
        let attrs = [("custom:tenant".to_string(), tenant.to_string())].into();
        let subject = Subject {
            username: "al",
            attrs: &attrs,
            row: None,
        };
        rules.evaluator().eval(&subject)
    }

    fn changes(pairs: &[(&str, &str)]) -> crate::rows::template::Computed {
        let pairs = pairs
            .iter()
            .map(|(c, v)| (c.to_string(), Some(v.to_string())));
        crate::rows::template::Computed::Changes(pairs.collect())
    }

    #[test]
    fn a_rule_sets_the_reserved_columns_beside_attributes() {
        use crate::rows::template::Computed;
        // "disable every user of tenant X"
        let disable = ["enabled=false"];
        let c = eval(&disable, Some(r#"custom.tenant == "x""#), "x");
        assert_eq!(c, changes(&[("enabled", "false")]));
        assert_eq!(
            eval(&disable, Some(r#"custom.tenant == "x""#), "y"),
            Computed::Skipped
        );
        let rule = [
            "nickname={{ custom.tenant }}",
            "groups_add=tenant-{{ custom.tenant }} all",
            "groups_remove=trial",
            r#"enabled={{ custom.tenant != "gone" }}"#,
        ];
        let c = eval(&rule, None, "x");
        let expected = [
            ("nickname", "x"),
            ("groups_add", "tenant-x all"),
            ("groups_remove", "trial"),
            ("enabled", "true"),
        ];
        assert_eq!(c, changes(&expected));
        // An empty set of names changes nothing.
        assert_eq!(eval(&["groups_add={{ '' }}"], None, "x"), changes(&[]));
    }

    #[test]
    fn a_reserved_column_that_renders_wrong_makes_the_row_invalid_naming_the_rule() {
        use crate::rows::template::Computed;
        let Computed::Failed(why) = eval(&["enabled={{ custom.tenant }}"], None, "maybe") else {
            panic!("not refused");
        };
        assert_eq!(why[0].0, "--set enabled");
        assert!(why[0].1.contains("neither true nor false") && !why[0].1.contains("maybe"));
        let Computed::Failed(why) = eval(&["groups_add=a b", "groups_remove=b"], None, "x") else {
            panic!("not refused");
        };
        assert!(why[0].1.contains("both added and removed"), "{why:?}");
        let long = format!("groups_add={}", "g".repeat(129));
        assert!(matches!(
            eval(&[long.as_str()], None, "x"),
            Computed::Failed(_)
        ));
        // Attributes keep their own rules: `enabled` is not one, nor given twice.
        let twice = ["enabled=true".to_string(), "enabled=false".to_string()];
        assert!(crate::rows::template::Rules::parse(&twice, None, false).is_err());
    }
}
