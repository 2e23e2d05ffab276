//! People: roles, the teams a lead answers for, and what each role may do.
//! The server enforces these rules on every page and server function; the
//! pages only use them to decide what to show.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a person may do in Bursar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Finance: reads everything, changes nothing.
    Viewer,
    /// An engineering lead: reads everything; edits budgets of their own teams.
    Lead,
    /// Everything, including people, keys, taxonomy and prices.
    Admin,
}

impl Role {
    /// Parses `viewer`, `lead` or `admin`.
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "viewer" => Ok(Role::Viewer),
            "lead" => Ok(Role::Lead),
            "admin" => Ok(Role::Admin),
            other => Err(format!("must be viewer, lead or admin (got {other:?})")),
        }
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address, lower-cased: something@domain with no spaces.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim().to_lowercase();
        let valid = s.len() <= 254
            && !s.contains(char::is_whitespace)
            && s.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
        if valid {
            Ok(Email(s))
        } else {
            Err(format!("must be an email address like name@example.com (got {:?})", raw.trim()))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A signed-in person as the pages see them (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Teams a lead answers for (empty for others).
    pub teams: Vec<String>,
}

impl Person {
    /// Whether this person may see spend (everyone signed in may).
    pub fn can_read(&self) -> bool {
        true
    }

    /// Whether this person may manage people, keys, taxonomy and prices.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this person may edit budgets scoped to `team`.
    pub fn can_edit_team(&self, team: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Lead => self.teams.iter().any(|t| t == team),
            Role::Viewer => false,
        }
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a new password: at least 10 characters, not all one character.
pub fn check_password(p: &str) -> Result<(), String> {
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    if p.chars().all(|c| p.starts_with(c)) {
        return Err("must not be one character repeated".into());
    }
    Ok(())
}

/// Parses a comma list of team names (tag values), trimmed, without duplicates.
pub fn parse_teams(list: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for t in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        crate::attribution::tags::check_value(t).map_err(|e| format!("team {t:?} {e}"))?;
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_emails_parse() {
        assert_eq!(Role::parse("lead"), Ok(Role::Lead));
        assert!(Role::parse("owner").unwrap_err().contains("viewer, lead or admin"));
        assert_eq!(Email::parse(" Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        assert!(Email::parse("ana").is_err());
        assert!(Email::parse("ana@localhost").is_err());
        assert!(Email::parse("a b@example.com").is_err());
    }

    #[test]
    fn leads_edit_only_their_teams() {
        let lead = Person { id: "1".into(), email: "l@x.io".into(), role: Role::Lead, teams: vec!["platform".into()] };
        assert!(lead.can_edit_team("platform"));
        assert!(!lead.can_edit_team("support"));
        let viewer = Person { role: Role::Viewer, ..lead.clone() };
        assert!(!viewer.can_edit_team("platform"));
        let admin = Person { role: Role::Admin, teams: vec![], ..lead };
        assert!(admin.can_edit_team("anything"));
    }

    #[test]
    fn passwords_and_teams_are_checked() {
        assert!(check_password("short").is_err());
        assert!(check_password("aaaaaaaaaaaa").is_err());
        assert!(check_password("correct horse battery").is_ok());
        assert_eq!(parse_teams("platform, search,platform,").unwrap(), vec!["platform", "search"]);
    }
}
