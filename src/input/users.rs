//! users.csv: one row per user, with the licenses they hold.

use std::path::Path;

use crate::error::InputError;
use crate::input::table::{Column, Table, clean};
use crate::input::{Lookups, parse_bool, split_products};
use crate::model::{Held, OrgId, Orgs, PlanRef, Pools, ProductId, Products, Resolved, User, Users};

const UPN: usize = 0;
const LICENSES: usize = 1;
const USAGE_LOCATION: usize = 2;
const BLOCKED: usize = 3;
const ENABLED: usize = 4;
const DISABLED_PLANS: usize = 5;
const GROUP_LICENSES: usize = 6;

const COLUMNS: &[Column] = &[
    Column {
        names: &["User principal name", "UserPrincipalName", "UPN"],
        required: true,
    },
    Column {
        names: &["Licenses", "AssignedLicenses"],
        required: false,
    },
    Column {
        names: &["Usage location", "UsageLocation"],
        required: false,
    },
    Column {
        names: &["Block credential", "BlockCredential"],
        required: false,
    },
    Column {
        names: &["AccountEnabled"],
        required: false,
    },
    Column {
        names: &["Disabled plans", "DisabledPlans"],
        required: false,
    },
    Column {
        names: &["Group licenses", "LicensesFromGroups"],
        required: false,
    },
];

/// Reads every user; returns them and the rows read.
pub fn read(
    path: &Path,
    lookups: &mut Lookups,
    orgs: &Orgs,
    pools: &Pools,
    products: &mut Products,
) -> Result<(Users, u64), InputError> {
    let mut table = Table::open(path, COLUMNS)?;
    // Rarely under 64 bytes a row in an export: room for the users without regrowing.
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut users = Users::with_capacity((size / 64).min(1 << 26) as usize);
    let mut licenses = Vec::new();
    while table.next_row()? {
        let upn = table.get(UPN);
        if upn.is_empty() {
            return Err(table.empty_error(UPN));
        }
        let org = orgs.of_user(upn);
        licenses.clear();
        let mut add = |text: &str, via_group: bool, licenses: &mut Vec<Held>| {
            let product = resolve(text, org, lookups, pools, products);
            match licenses.iter_mut().find(|h| h.product == product) {
                Some(held) => held.via_group |= via_group,
                None => licenses.push(Held { product, via_group }),
            }
        };
        let cell = table.get(LICENSES);
        if !cell.eq_ignore_ascii_case("unlicensed") {
            for text in split_products(cell) {
                add(text, false, &mut licenses);
            }
        }
        // Licenses lists those from groups too; one missing there is added, not lost.
        for text in split_products(table.get(GROUP_LICENSES)) {
            add(text, true, &mut licenses);
        }
        let blocked = match table.get(BLOCKED) {
            "" => parse_bool(table.get(ENABLED))
                .map(|enabled| enabled.is_some_and(|e| !e))
                .map_err(|()| table.error(ENABLED, bool_message(table.get(ENABLED))))?,
            cell => parse_bool(cell)
                .map(|b| b.unwrap_or(false))
                .map_err(|()| table.error(BLOCKED, bool_message(cell)))?,
        };
        let mut disabled: Vec<PlanRef> = Vec::new();
        for text in table.get(DISABLED_PLANS).split(';').map(clean) {
            let plan = PlanRef::new(lookups.catalog(), text);
            if !text.is_empty() && !disabled.contains(&plan) {
                disabled.push(plan);
            }
        }
        let user = User {
            org,
            licenses: &licenses,
            disabled: &disabled,
            usage_location: !table.get(USAGE_LOCATION).is_empty(),
            blocked,
        };
        if users.add(upn, user).is_err() {
            return Err(table.error(
                UPN,
                format!("the user `{upn}` is listed twice (user principal names compare ignoring case)"),
            ));
        }
    }
    let rows = table.rows();
    Ok((users, rows))
}

fn bool_message(cell: &str) -> String {
    format!("`{cell}` is not a yes/no value (true, false, yes, no, 1, 0 or empty)")
}

/// A license of a user: a catalog product, resolved through the organization's
/// subscriptions when its display name is shared; else carried as written.
fn resolve(
    text: &str,
    org: Option<OrgId>,
    lookups: &mut Lookups,
    pools: &Pools,
    products: &mut Products,
) -> ProductId {
    match pools.resolve(lookups.get(text), org) {
        Resolved::Product(product) => product,
        Resolved::Ambiguous | Resolved::Unknown => products.other(text),
    }
}
