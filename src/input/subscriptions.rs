//! subscriptions.csv: the organizations and their license pools.

use crate::error::InputError;
use crate::guid::Guid;
use crate::input::domains::Domains;
use crate::input::parse_count;
use crate::input::table::{Source, Table, columns};
use crate::model::{Orgs, Pools, Products};
use crate::resolve::Lookups;

columns! {
    /// subscriptions.csv's columns.
    enum Column {
        Organization: optional ["Organization", "Tenant", "AccountName"],
        Product: required ["Product", "SkuPartNumber", "Product name", "SkuId"],
        Status: optional ["Status", "CapabilityStatus"],
        Total: required ["Total licenses", "Total", "PrepaidUnits.Enabled", "Enabled"],
        Assigned: required ["Assigned licenses", "Assigned", "ConsumedUnits"],
        AppliesTo: optional ["AppliesTo"],
        // The pool's SKU id; `SkuId` also names the product when nothing before it does.
        SkuId: optional ["SkuId"],
    }
}

/// Reads the pools into `pools`, registering organizations; returns the rows read.
pub fn read(
    source: Source,
    domains: Option<&Domains>,
    lookups: &mut Lookups,
    orgs: &mut Orgs,
    pools: &mut Pools,
    products: &mut Products,
) -> Result<u64, InputError> {
    // Without an organization column, the one organization is the one domains.csv
    // names; else the column is needed.
    let named = domains.map(Domains::organizations).unwrap_or_default();
    let needed = match named.as_slice() {
        [_] => Vec::new(),
        _ => vec![(
            Column::Organization,
            format!(
                "it may be left out only when domains.csv names exactly one organization, and {}",
                match (domains, named.len()) {
                    (None, _) => "there is no domains.csv".to_string(),
                    (Some(_), n) => format!("domains.csv names {n}"),
                }
            ),
        )],
    };
    let mut table = Table::open_needing::<Column>(source, &needed)?;
    let sole = match named.as_slice() {
        [one] if !table.has(Column::Organization) => Some(orgs.intern(one)),
        _ => None,
    };
    while table.next_row()? {
        if table.get(Column::AppliesTo).eq_ignore_ascii_case("company") {
            continue;
        }
        let org = match sole {
            Some(org) => org,
            None => {
                let name = table.get(Column::Organization);
                if name.is_empty() {
                    return Err(table.empty_error(Column::Organization));
                }
                orgs.intern(name)
            }
        };
        let text = table.get(Column::Product);
        if text.is_empty() {
            return Err(table.empty_error(Column::Product));
        }
        let product = match lookups.pool_product(products, text) {
            Ok(product) => product,
            Err(parts) => {
                return Err(table.error(
                    Column::Product,
                    format!(
                        "`{text}` is the display name of several products ({}); name the product by its SKU part number, as Get-MgSubscribedSku's `SkuPartNumber` gives it",
                        parts.join(", ")
                    ),
                ));
            }
        };
        let (status, active) = if table.has(Column::Status) {
            let status = table.get(Column::Status);
            if status.is_empty() {
                return Err(table.empty_error(Column::Status));
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
        let total = count(Column::Total)?;
        let assigned = count(Column::Assigned)?;
        pools.add(org, product, total, assigned, status, active);
        let sku_id = table.get(Column::SkuId);
        if !sku_id.is_empty() {
            let id = Guid::parse(sku_id).ok_or_else(|| {
                table.error(
                    Column::SkuId,
                    format!("`{sku_id}` is not a SKU id: a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), as Get-MgSubscribedSku's `SkuId` gives it"),
                )
            })?;
            pools.name_sku(org, product, id);
        }
    }
    Ok(table.rows())
}
