//! The demo organisation's tag taxonomy.

use server::AppState;

/// The demo organisation's tag taxonomy: team and workflow required, task
/// types from a fixed list. The workflow rule has no aliases yet, so the
/// legacy spellings show up on the taxonomy page for an admin to fix.
pub(crate) async fn install(state: &AppState) -> anyhow::Result<()> {
    use domain::attribution::taxonomy::{KeyRule, Policy, Taxonomy};
    if !state.store.taxonomy().await?.keys.is_empty() {
        return Ok(());
    }
    let rule = |key: &str, description: &str, required: bool, allowed: &[&str], policy: Policy| KeyRule {
        key: key.into(),
        description: description.into(),
        required,
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
        aliases: Default::default(),
        policy,
    };
    let taxonomy = Taxonomy {
        keys: vec![
            rule("team", "The engineering team that owns the spend.", true, &[], Policy::Accept),
            rule("workflow", "The agent or pipeline a call belongs to.", true, &[], Policy::Accept),
            rule("product", "The product the workflow serves.", false, &[], Policy::Normalize),
            rule(
                "task_type",
                "What kind of work a call does.",
                false,
                &["agent", "chat", "summarize", "rerank", "rewrite", "generate"],
                Policy::Normalize,
            ),
        ],
    };
    state.catalog_service.put_taxonomy("demo", taxonomy).await.map_err(|e| anyhow::anyhow!("demo taxonomy: {e}"))?;
    Ok(())
}
