//! API keys: generated here, shown once, stored only as a SHA-256 hash.
//!
//! A key reads `bsr_<id>_<secret>`: the id (12 hex digits) is shown in lists
//! as the key's prefix; the secret (160 random bits) never leaves the create
//! command. Keys carry scopes: `ingest`, `read`, `admin` (admin implies all).

use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use store::ApiKeyRecord;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Ingest,
    Read,
    Admin,
}

impl Scope {
    /// Parses one scope name.
    pub fn parse(s: &str) -> Result<Scope, String> {
        match s.trim() {
            "ingest" => Ok(Scope::Ingest),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            other => Err(format!("unknown scope {other:?}; scopes are ingest, read, admin")),
        }
    }

    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

/// Parses a comma list such as `ingest,read`.
pub fn parse_scopes(list: &str) -> Result<Vec<Scope>, String> {
    let scopes: Vec<Scope> =
        list.split(',').filter(|s| !s.trim().is_empty()).map(Scope::parse).collect::<Result<_, _>>()?;
    if scopes.is_empty() {
        return Err("name at least one scope: ingest, read or admin".into());
    }
    Ok(scopes)
}

/// Whether a stored key's scopes grant `needed`.
pub fn grants(scopes: &[String], needed: Scope) -> bool {
    scopes.iter().any(|s| s == needed.as_str() || s == Scope::Admin.as_str())
}

/// The text of a new key. Deliberately not `Serialize`, and redacted in `Debug`.
pub struct KeySecret(String);

impl KeySecret {
    /// The full key, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(<redacted>)")
    }
}

/// The SHA-256 of a key's text, as stored and looked up.
pub fn hash_key(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Makes a new key: the record to store and the secret to show once.
pub fn generate(name: &str, scopes: &[Scope]) -> (ApiKeyRecord, KeySecret) {
    generate_by(name, scopes, "")
}

/// [`generate`], recording who made the key (an email, or `cli`).
pub fn generate_by(name: &str, scopes: &[Scope], created_by: &str) -> (ApiKeyRecord, KeySecret) {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 6];
    let mut secret = [0u8; 20];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let id = hex::encode(id);
    let text = format!("bsr_{id}_{}", hex::encode(secret));
    let record = ApiKeyRecord {
        prefix: format!("bsr_{id}"),
        key_hash: hash_key(&text),
        id,
        name: name.to_string(),
        created_by: created_by.to_string(),
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        created: Utc::now(),
        last_used: None,
        revoked: None,
        tag_limits: None,
    };
    (record, KeySecret(text))
}

/// A key as the audit log records it (never its hash or text).
pub fn audit_view(k: &ApiKeyRecord) -> serde_json::Value {
    let tags = k.tag_limits.as_ref().map(|l| l.text());
    serde_json::json!({ "name": k.name, "prefix": k.prefix, "scopes": k.scopes, "tags": tags, "revoked": k.revoked.is_some() })
}

/// Makes and stores a key on someone's behalf (an email or `cli`), and audits it.
pub async fn create_audited(
    store: &std::sync::Arc<dyn store::Store>,
    name: &str,
    scopes: &[Scope],
    actor: &str,
) -> Result<(ApiKeyRecord, KeySecret), store::StoreError> {
    create_restricted(store, name, scopes, None, actor).await
}

/// [`create_audited`], bound to tag values (`None` or empty: unrestricted).
pub async fn create_restricted(
    store: &std::sync::Arc<dyn store::Store>,
    name: &str,
    scopes: &[Scope],
    tag_limits: Option<domain::ingest::key_limits::TagLimits>,
    actor: &str,
) -> Result<(ApiKeyRecord, KeySecret), store::StoreError> {
    let (mut record, secret) = generate_by(name, scopes, actor);
    record.tag_limits = tag_limits.filter(|l| !l.is_empty());
    store.create_api_key(&record).await?;
    let entry = domain::people::audit::Entry::new(actor, "key.create", &record.prefix, None, Some(audit_view(&record)));
    store.record_audit(&entry).await?;
    Ok((record, secret))
}

/// Revokes a key on someone's behalf, and audits it; false when there is
/// no such key or it was already revoked.
pub async fn revoke_audited(
    store: &std::sync::Arc<dyn store::Store>,
    id: &str,
    actor: &str,
    at: chrono::DateTime<Utc>,
) -> Result<bool, store::StoreError> {
    let before = store.list_api_keys().await?.into_iter().find(|k| k.id == id);
    if !store.revoke_api_key(id, at).await? {
        return Ok(false);
    }
    if let Some(b) = before {
        let after = ApiKeyRecord { revoked: Some(at), ..b.clone() };
        let entry = domain::people::audit::Entry::new(
            actor,
            "key.revoke",
            &b.prefix,
            Some(audit_view(&b)),
            Some(audit_view(&after)),
        );
        store.record_audit(&entry).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_hashed() {
        let (a, sa) = generate("a", &[Scope::Ingest]);
        let (b, sb) = generate("b", &[Scope::Read]);
        assert_ne!(sa.expose(), sb.expose());
        assert_eq!(a.key_hash, hash_key(sa.expose()));
        assert!(sa.expose().starts_with(&a.prefix));
        assert_ne!(a.id, b.id);
        assert_eq!(format!("{sa:?}"), "KeySecret(<redacted>)");
    }

    #[test]
    fn scopes_parse_and_admin_grants_all() {
        assert_eq!(parse_scopes("ingest, read").unwrap(), vec![Scope::Ingest, Scope::Read]);
        assert!(parse_scopes("write").unwrap_err().contains("unknown scope"));
        assert!(parse_scopes("").is_err());
        assert!(grants(&["admin".into()], Scope::Ingest));
        assert!(!grants(&["read".into()], Scope::Ingest));
    }
}
