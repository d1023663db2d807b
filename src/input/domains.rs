//! domains.csv: which organization owns which domain.

use crate::error::InputError;
use crate::input::table::{Source, Table, columns};
use crate::model::Orgs;

columns! {
    /// domains.csv's columns.
    enum Column {
        Organization: required ["Organization", "Tenant", "AccountName"],
        Domain: required ["Domain", "DomainName"],
    }
}

/// domains.csv as read, before its organizations are merged with subscriptions.csv's.
pub struct Domains {
    file: String,
    /// (line, column of the domain, organization, domain)
    entries: Vec<(u64, usize, String, String)>,
    pub rows: u64,
}

impl Domains {
    /// The organizations it names, first spelling kept, in order.
    pub fn organizations(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for (_, _, org, _) in &self.entries {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(org)) {
                seen.push(org);
            }
        }
        seen
    }
}

pub fn read(source: Source) -> Result<Domains, InputError> {
    let mut table = Table::open::<Column>(source)?;
    let mut entries = Vec::new();
    while table.next_row()? {
        for column in [Column::Organization, Column::Domain] {
            if table.get(column).is_empty() {
                return Err(table.empty_error(column));
            }
        }
        let domain = table
            .get(Column::Domain)
            .trim_start_matches('@')
            .to_string();
        let column = table.column_number(Column::Domain);
        entries.push((
            table.line(),
            column,
            table.get(Column::Organization).to_string(),
            domain,
        ));
    }
    Ok(Domains {
        file: table.file().to_string(),
        rows: table.rows(),
        entries,
    })
}

/// Gives every organization its domains: those of domains.csv, and for an
/// organization it does not mention (or without the file), its own name.
pub fn register(domains: Option<Domains>, orgs: &mut Orgs) -> Result<(), InputError> {
    if let Some(domains) = domains {
        for (line, column, org, domain) in domains.entries {
            let id = orgs.intern(&org);
            if let Some(owner) = orgs.add_domain(&domain, id) {
                return Err(InputError::At {
                    file: domains.file.clone(),
                    line,
                    column,
                    message: format!(
                        "the domain `{domain}` is given to `{org}` but an earlier row gives it to `{}`",
                        orgs.name(owner)
                    ),
                });
            }
        }
    }
    for org in orgs.without_domain() {
        let name = orgs.name(org).to_string();
        orgs.add_domain(&name, org);
    }
    Ok(())
}
