//! Unit tests of `taxonomy`.

use super::*;

fn rule(policy: Policy, allowed: &[&str], aliases: &[(&str, &str)]) -> KeyRule {
    KeyRule {
        key: "workflow".into(),
        description: String::new(),
        required: false,
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
        aliases: aliases.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        policy,
    }
}

fn tags(pairs: &[(&str, &str)]) -> TagSet {
    let mut t = TagSet::new();
    for (k, v) in pairs {
        t.insert(TagKey::parse(k).unwrap(), *v);
    }
    t
}

fn tax(r: KeyRule) -> Taxonomy {
    Taxonomy { keys: vec![r] }.validate().unwrap()
}

#[test]
fn aliases_apply_under_every_policy() {
    for p in [Policy::Accept, Policy::Normalize, Policy::Reject] {
        let r = rule(p, &[], &[("bug_triage", "bug-triage"), ("bug triage", "bug-triage")]);
        assert_eq!(r.normalize("Bug_Triage"), "bug-triage", "{p:?}");
        assert_eq!(r.normalize(" bug triage "), "bug-triage", "{p:?}");
    }
}

#[test]
fn case_folding_only_under_normalize() {
    let any = rule(Policy::Normalize, &[], &[]);
    assert_eq!(any.normalize("Bug-Triage"), "bug-triage");
    let listed = rule(Policy::Normalize, &["Support", "bug-triage"], &[]);
    assert_eq!(listed.normalize("SUPPORT"), "Support", "folds to the allowed spelling");
    assert_eq!(listed.normalize("Other"), "Other", "a value not allowed is left as sent");
    assert_eq!(rule(Policy::Accept, &[], &[]).normalize("Bug-Triage"), "Bug-Triage");
}

#[test]
fn accept_flags_reject_refuses_naming_the_allowed_values() {
    let mut t = tags(&[("workflow", "chaos")]);
    let flags = tax(rule(Policy::Accept, &["support", "bug-triage"], &[])).apply(&mut t).unwrap();
    assert_eq!(flags, vec![Flag::NotAllowed { key: "workflow".into(), value: "chaos".into() }]);
    assert_eq!(t.get("workflow"), Some("chaos"), "accept stores it as sent");

    let err = tax(rule(Policy::Reject, &["support", "bug-triage"], &[("triage", "bug-triage")]))
        .apply(&mut tags(&[("workflow", "chaos")]))
        .unwrap_err();
    assert_eq!(err.field, "tags.workflow");
    assert_eq!(err.reason, "\"chaos\" is not allowed; allowed values: support, bug-triage");

    let mut ok = tags(&[("workflow", "Triage")]);
    let r = tax(rule(Policy::Reject, &["support", "bug-triage"], &[("triage", "bug-triage")]));
    assert!(r.apply(&mut ok).unwrap().is_empty(), "an alias rescues a value reject would refuse");
    assert_eq!(ok.get("workflow"), Some("bug-triage"));
}

#[test]
fn normalize_stores_the_canonical_value_and_flags_the_rest() {
    let t = tax(rule(Policy::Normalize, &["support", "bug-triage"], &[("bug_triage", "bug-triage")]));
    let mut a = tags(&[("workflow", "Bug_Triage"), ("team", "core")]);
    assert!(t.apply(&mut a).unwrap().is_empty());
    assert_eq!(a.get("workflow"), Some("bug-triage"));
    assert_eq!(a.get("team"), Some("core"), "keys without a rule are untouched");
    let mut b = tags(&[("workflow", "Chaos")]);
    assert_eq!(t.apply(&mut b).unwrap().len(), 1);
}

#[test]
fn required_keys_are_flagged_or_refused() {
    let mut r = rule(Policy::Accept, &[], &[]);
    r.required = true;
    assert_eq!(tax(r.clone()).apply(&mut TagSet::new()).unwrap(), vec![Flag::Missing { key: "workflow".into() }]);
    r.policy = Policy::Reject;
    assert_eq!(tax(r.clone()).apply(&mut TagSet::new()).unwrap_err().reason, "required");
    assert_eq!(tax(r).required_keys(), vec!["workflow".to_string()]);
}

#[test]
fn validation_names_each_bad_field() {
    let bad = Taxonomy {
        keys: vec![
            rule(Policy::Normalize, &["a", "A"], &[("Up", "a"), ("x", "b")]),
            KeyRule { key: "Bad Key".into(), ..Default::default() },
            rule(Policy::Accept, &[], &[]),
        ],
    };
    let errs = bad.validate().unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"keys[0].allowed"), "{errs:?}");
    assert!(fields.contains(&"keys[0].aliases.Up"), "{errs:?}");
    assert!(fields.contains(&"keys[0].aliases.x"), "{errs:?}");
    assert!(fields.contains(&"keys[1].key"), "{errs:?}");
    assert!(fields.contains(&"keys[2].key"), "workflow twice: {errs:?}");
    let chain = Taxonomy { keys: vec![rule(Policy::Accept, &[], &[("a", "b"), ("b", "c")])] };
    assert!(chain.validate().unwrap_err()[0].reason.contains("itself an alias"));
}

#[test]
fn remap_changes_only_what_the_rules_change() {
    let t = tax(rule(Policy::Accept, &[], &[("bug_triage", "bug-triage")]));
    let old = tags(&[("workflow", "bug_triage"), ("team", "core")]);
    assert_eq!(t.remap(&old), Some(tags(&[("workflow", "bug-triage"), ("team", "core")])));
    assert_eq!(t.remap(&tags(&[("workflow", "bug-triage")])), None);
}

#[test]
fn page_text_parses() {
    let a = parse_aliases("Bug-Triage => bug-triage\n\n bug_triage = bug-triage ").unwrap();
    assert_eq!(a.get("bug-triage").map(String::as_str), Some("bug-triage"));
    assert_eq!(a.get("bug_triage").map(String::as_str), Some("bug-triage"));
    assert!(parse_aliases("nonsense").unwrap_err().contains("line 1"));
    assert_eq!(parse_values("a\n b\n\nbilling, EU\na"), vec!["a", "b", "billing, EU"]);
    let long = "İ".repeat(200);
    assert_eq!(rule(Policy::Normalize, &[], &[]).normalize(&long), long, "not folded past the length limit");
    let model = Taxonomy { keys: vec![KeyRule { key: "model".into(), ..Default::default() }] };
    assert_eq!(model.validate().unwrap_err()[0].field, "keys[0].key");
}
