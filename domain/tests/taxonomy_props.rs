//! Property tests of the taxonomy: for any valid rule set, normalising a
//! value (or a whole tag set) twice gives what normalising it once gave, and
//! applying the rules at ingest is a fixed point too.

use domain::attribution::tags::{TagKey, TagSet};
use domain::attribution::taxonomy::{fold, KeyRule, Policy, Taxonomy};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn value() -> impl Strategy<Value = String> {
    // A small alphabet, so that aliases, allowed values and inputs collide often.
    prop::string::string_regex("[ aAbB_-]{1,4}").unwrap().prop_filter("not blank", |s| !s.trim().is_empty())
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Accept), Just(Policy::Normalize), Just(Policy::Reject)]
}

/// A rule built from random parts, then made valid the way an admin would
/// fix it: allowed values trimmed and deduplicated ignoring case, alias
/// spellings folded, and aliases whose target the validator refuses dropped.
fn rule() -> impl Strategy<Value = KeyRule> {
    (policy(), prop::collection::vec(value(), 0..4), prop::collection::vec((value(), value()), 0..5)).prop_map(
        |(policy, allowed, aliases)| {
            let mut seen = Vec::new();
            let allowed: Vec<String> = allowed
                .into_iter()
                .map(|a| a.trim().to_string())
                .filter(|a| {
                    let f = fold(a);
                    let new = !seen.contains(&f);
                    seen.push(f);
                    new
                })
                .collect();
            let mut r = KeyRule { key: "workflow".into(), allowed, policy, ..Default::default() };
            let candidates: BTreeMap<String, String> = aliases
                .into_iter()
                .map(|(from, to)| {
                    let to = if r.allowed.is_empty() {
                        if policy == Policy::Normalize {
                            fold(&to)
                        } else {
                            to.trim().to_string()
                        }
                    } else {
                        r.allowed[to.len() % r.allowed.len()].clone()
                    };
                    (fold(&from), to)
                })
                .collect();
            for (from, to) in candidates {
                let mut trial = r.clone();
                trial.aliases.insert(from, to);
                if (Taxonomy { keys: vec![trial.clone()] }).validate().is_ok() {
                    r = trial;
                }
            }
            r
        },
    )
}

proptest! {
    #[test]
    fn normalizing_twice_equals_normalizing_once(r in rule(), v in value()) {
        prop_assume!((Taxonomy { keys: vec![r.clone()] }).validate().is_ok());
        let once = r.normalize(&v);
        prop_assert_eq!(r.normalize(&once), once);
    }

    #[test]
    fn ingest_rules_are_a_fixed_point(r in rule(), v in value(), team in value()) {
        let tax = Taxonomy { keys: vec![r] }.validate().unwrap();
        let mut tags = TagSet::new();
        tags.insert(TagKey::parse("workflow").unwrap(), v.trim());
        tags.insert(TagKey::parse("team").unwrap(), team.trim());
        if tax.apply(&mut tags).is_ok() {
            let mut again = tags.clone();
            prop_assert!(tax.apply(&mut again).is_ok());
            prop_assert_eq!(&again, &tags);
            prop_assert_eq!(tax.remap(&tags), None);
        }
    }

    #[test]
    fn remap_is_idempotent(r in rule(), v in value()) {
        let tax = Taxonomy { keys: vec![r] }.validate().unwrap();
        let mut tags = TagSet::new();
        tags.insert(TagKey::parse("workflow").unwrap(), v.trim());
        let once = tax.remap(&tags).unwrap_or(tags);
        prop_assert_eq!(tax.remap(&once), None);
    }
}
