//! subscriptions.csv: the organizations and their license pools.

use crate::error::InputError;
use crate::input::domains::Domains;
use crate::input::parse_count;
use crate::input::table::{Column, Source, Table};
use crate::model::{Orgs, Pools, Products};
use crate::resolve::Lookups;

const ORGANIZATION: usize = 0;
const PRODUCT: usize = 1;
const STATUS: usize = 2;
const TOTAL: usize = 3;
const ASSIGNED: usize = 4;
const APPLIES_TO: usize = 5;

const COLUMNS: &[Column] = &[
    Column {
        names: &["Organization", "Tenant", "AccountName"],
        required: false,
    },
    Column {
        names: &["Product", "SkuPartNumber", "Product name", "SkuId"],
        required: true,
    },
    Column {
        names: &["Status", "CapabilityStatus"],
        required: false,
    },
    Column {
        names: &["Total licenses", "Total", "PrepaidUnits.Enabled", "Enabled"],
        required: true,
    },
    Column {
        names: &["Assigned licenses", "Assigned", "ConsumedUnits"],
        required: true,
    },
    Column {
        names: &["AppliesTo"],
        required: false,
    },
];

/// Reads the pools into `pools`, registering organizations; returns the rows read.
pub fn read(
    source: Source,
    domains: Option<&Domains>,
    lookups: &mut Lookups,
    orgs: &mut Orgs,
    pools: &mut Pools,
    products: &mut Products,
) -> Result<u64, InputError> {
    let mut table = Table::open(source, COLUMNS)?;
    // Without an organization column, the one organization is the one domains.csv names.
    let sole = if table.has(ORGANIZATION) {
        None
    } else {
        let named = domains.map(Domains::organizations).unwrap_or_default();
        match named.as_slice() {
            [one] => Some(orgs.intern(one)),
            _ => {
                return Err(InputError::At {
                    file: table.file().to_string(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "no Organization column (accepted names: `Organization`, `Tenant`, `AccountName`); it may be left out only when domains.csv names exactly one organization, and {}",
                        match (domains, named.len()) {
                            (None, _) => "there is no domains.csv".to_string(),
                            (Some(_), n) => format!("domains.csv names {n}"),
                        }
                    ),
                });
            }
        }
    };
    while table.next_row()? {
        if table.get(APPLIES_TO).eq_ignore_ascii_case("company") {
            continue;
        }
        let org = match sole {
            Some(org) => org,
            None => {
                let name = table.get(ORGANIZATION);
                if name.is_empty() {
                    return Err(table.empty_error(ORGANIZATION));
                }
                orgs.intern(name)
            }
        };
        let text = table.get(PRODUCT);
        if text.is_empty() {
            return Err(table.empty_error(PRODUCT));
        }
        let product = match lookups.pool_product(products, text) {
            Ok(product) => product,
            Err(parts) => {
                return Err(table.error(
                    PRODUCT,
                    format!(
                        "`{text}` is the display name of several products ({}); name the product by its SKU part number, as Get-MgSubscribedSku's `SkuPartNumber` gives it",
                        parts.join(", ")
                    ),
                ));
            }
        };
        let (status, active) = if table.has(STATUS) {
            let status = table.get(STATUS);
            if status.is_empty() {
                return Err(table.empty_error(STATUS));
            }
            let active =
                status.eq_ignore_ascii_case("active") || status.eq_ignore_ascii_case("enabled");
            (status, active)
        } else {
            ("Active", true)
        };
        let count = |column| {
            let cell = table.get(column);
            if cell.is_empty() {
                return Err(table.empty_error(column));
            }
            parse_count(cell).ok_or_else(|| {
                table.error(
                    column,
                    format!("`{cell}` is not a whole number of licenses (plain digits, ≥ 0)"),
                )
            })
        };
        let total = count(TOTAL)?;
        let assigned = count(ASSIGNED)?;
        pools.add(org, product, total, assigned, status, active);
    }
    Ok(table.rows())
}
