//! Organizations (tenants) by name and by domain, and which owns a domain or the
//! nearest of its parent domains.

use std::borrow::Cow;

use rustc_hash::FxHashMap as HashMap;

/// An organization (tenant): the one that bought a subscription, or owns a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(pub u32);

/// Organizations by name and by domain.
#[derive(Debug, Default)]
pub struct Orgs {
    names: Vec<String>,
    by_name: HashMap<String, OrgId>,
    by_domain: HashMap<String, OrgId>,
}

impl Orgs {
    /// The organization called `name` (ignoring case), added if new with this spelling.
    pub fn intern(&mut self, name: &str) -> OrgId {
        let k = name.to_lowercase();
        if let Some(&id) = self.by_name.get(&k) {
            return id;
        }
        let id = OrgId(self.names.len() as u32);
        self.names.push(name.to_string());
        self.by_name.insert(k, id);
        id
    }

    /// Records that `org` owns `domain`; returns the owner already recorded if another.
    pub fn add_domain(&mut self, domain: &str, org: OrgId) -> Option<OrgId> {
        let owner = *self.by_domain.entry(domain.to_lowercase()).or_insert(org);
        (owner != org).then_some(owner)
    }

    /// The organizations that own no domain yet (to give them their name as domain).
    pub fn without_domain(&self) -> Vec<OrgId> {
        let mut owning = vec![false; self.names.len()];
        for org in self.by_domain.values() {
            owning[org.0 as usize] = true;
        }
        (0..self.names.len() as u32)
            .map(OrgId)
            .filter(|o| !owning[o.0 as usize])
            .collect()
    }

    pub fn name(&self, org: OrgId) -> &str {
        &self.names[org.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The owner of `domain` or of its nearest parent domain.
    pub fn of_domain(&self, domain: &str) -> Option<OrgId> {
        let domain = lowercase(domain);
        let mut rest: &str = &domain;
        loop {
            if let Some(&org) = self.by_domain.get(rest) {
                return Some(org);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// The organization of a user principal name: the owner of its domain.
    pub fn of_user(&self, upn: &str) -> Option<OrgId> {
        let at = upn.bytes().rposition(|b| b == b'@')?;
        self.of_domain(&upn[at + 1..])
    }

    /// An organization given by its name or one of its domains.
    pub fn find(&self, name_or_domain: &str) -> Option<OrgId> {
        self.by_name
            .get(&name_or_domain.to_lowercase())
            .copied()
            .or_else(|| self.of_domain(name_or_domain))
    }
}

/// `text` lowercased, borrowed when it already is (most domains and names are).
fn lowercase(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else if text.chars().any(char::is_uppercase) {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}
