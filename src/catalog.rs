//! Microsoft's "Product names and service plan identifiers for licensing" table:
//! products (SKUs) and the service plans they contain, indexed by every name the
//! table gives them. How a name resolves to one of them is [`crate::resolve`]'s.

#![warn(clippy::indexing_slicing)]

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use crate::audit::{Digest, DigestSlot};
use crate::error::InputError;
use crate::guid::Guid;
use crate::input::table::{Source, Table, columns};
use crate::resolve::key;

/// The built-in copy of Microsoft's table.
const BUILTIN: &[u8] = include_bytes!("../data/ms-licensing-catalog.csv");

/// Index of a product in the catalog.
pub(crate) type SkuIdx = u32;
/// Index of a service plan in the catalog.
pub(crate) type ServicePlanIdx = u32;

/// A product of the catalog.
#[derive(Debug)]
pub(crate) struct Sku {
    /// The SKU part number (`SPB`): how outputs name the product.
    pub(crate) part: String,
    /// Its first display name in the table (the report shows it beside the part number).
    pub(crate) display_name: String,
    /// The service plans it contains, sorted.
    pub(crate) service_plans: Vec<ServicePlanIdx>,
    /// Its SKU ids, in the table's order: one, but for a few SKU part numbers
    /// listed with several (`MCOPSTN5`).
    pub(crate) ids: Vec<Guid>,
}

/// The products and service plans of the catalog.
#[derive(Debug)]
pub struct Catalog {
    skus: Vec<Sku>,
    /// Service plans by index: the first name the catalog gives each.
    service_plans: Vec<String>,
    /// Service plans' ids by index, where the table gives one.
    service_plan_ids: Vec<Option<Guid>>,
    by_part: HashMap<String, SkuIdx>,
    by_id: HashMap<String, SkuIdx>,
    by_name: HashMap<String, Vec<SkuIdx>>,
    service_plan_by_id: HashMap<String, ServicePlanIdx>,
    service_plan_by_name: HashMap<String, ServicePlanIdx>,
    /// The table's size and SHA-256, for the audit trail.
    digest: Digest,
}

columns! {
    /// The columns of Microsoft's table.
    enum Column {
        DisplayName: required ["Product_Display_Name"],
        Part: required ["String_Id"],
        Id: required ["GUID"],
        ServicePlanName: required ["Service_Plan_Name"],
        ServicePlanId: required ["Service_Plan_Id"],
    }
}

impl Catalog {
    /// The table embedded in the binary.
    pub fn builtin() -> Result<Catalog, InputError> {
        let (source, slot) = Source::bytes("built-in catalog", BUILTIN);
        Catalog::read(Table::open::<Column>(source)?, &slot)
    }

    /// A table in Microsoft's published CSV format (`--catalog`).
    pub(crate) fn load(path: &Path) -> Result<Catalog, InputError> {
        let (source, slot) = Source::open(path)?;
        Catalog::read(Table::open::<Column>(source)?, &slot)
    }

    fn read(mut table: Table, slot: &DigestSlot) -> Result<Catalog, InputError> {
        let mut catalog = Catalog {
            skus: Vec::new(),
            service_plans: Vec::new(),
            service_plan_ids: Vec::new(),
            by_part: HashMap::default(),
            by_id: HashMap::default(),
            by_name: HashMap::default(),
            service_plan_by_id: HashMap::default(),
            service_plan_by_name: HashMap::default(),
            digest: Digest {
                bytes: 0,
                sha256: [0; 32],
            },
        };
        while table.next_row()? {
            for column in [Column::DisplayName, Column::Part, Column::Id] {
                if table.get(column).is_empty() {
                    return Err(table.empty_error(column));
                }
            }
            let part = table.get(Column::Part);
            let sku = match catalog.by_part.get(&key(part)) {
                Some(&sku) => sku,
                None => {
                    let sku = catalog.skus.len() as SkuIdx;
                    catalog.skus.push(Sku {
                        part: part.to_string(),
                        display_name: table.get(Column::DisplayName).to_string(),
                        service_plans: Vec::new(),
                        ids: Vec::new(),
                    });
                    catalog.by_part.insert(key(part), sku);
                    sku
                }
            };
            // A SKU part number listed with several ids and display names
            // (`MCOPSTN5`) is one product that resolves from any of them.
            let names = catalog
                .by_name
                .entry(key(table.get(Column::DisplayName)))
                .or_default();
            if !names.contains(&sku) {
                names.push(sku);
            }
            catalog
                .by_id
                .entry(key(table.get(Column::Id)))
                .or_insert(sku);
            if let (Some(id), Some(entry)) = (
                Guid::parse(table.get(Column::Id)),
                catalog.skus.get_mut(sku as usize),
            ) && !entry.ids.contains(&id)
            {
                entry.ids.push(id);
            }
            let (plan_name, plan_id) = (
                table.get(Column::ServicePlanName),
                table.get(Column::ServicePlanId),
            );
            if plan_name.is_empty() && plan_id.is_empty() {
                continue;
            }
            let plan = catalog.intern_service_plan(plan_name, plan_id);
            if let Some(sku) = catalog.skus.get_mut(sku as usize) {
                sku.service_plans.push(plan);
            }
        }
        for sku in &mut catalog.skus {
            sku.service_plans.sort_unstable();
            sku.service_plans.dedup();
        }
        catalog.digest = slot.get().ok_or_else(|| InputError::Io {
            file: table.file().to_string(),
            source: std::io::Error::other("the file was not read to its end"),
        })?;
        Ok(catalog)
    }

    /// The table's size and SHA-256, taken as it was read.
    pub(crate) fn digest(&self) -> Digest {
        self.digest
    }

    /// A service plan is one whatever id or name the table gives it on a row:
    /// ids and names seen together are the same plan, named by its first name.
    fn intern_service_plan(&mut self, name: &str, id: &str) -> ServicePlanIdx {
        let (name_key, id_key) = (key(name), key(id));
        let known = self
            .service_plan_by_id
            .get(&id_key)
            .or_else(|| self.service_plan_by_name.get(&name_key))
            .copied();
        let plan = known.unwrap_or_else(|| {
            self.service_plans
                .push(if name.is_empty() { id } else { name }.to_string());
            self.service_plan_ids.push(None);
            (self.service_plans.len() - 1) as ServicePlanIdx
        });
        if let Some(slot) = self.service_plan_ids.get_mut(plan as usize)
            && slot.is_none()
        {
            *slot = Guid::parse(id);
        }
        if !id_key.is_empty() {
            self.service_plan_by_id.entry(id_key).or_insert(plan);
        }
        if !name_key.is_empty() {
            self.service_plan_by_name.entry(name_key).or_insert(plan);
        }
        plan
    }

    /// The product of this SKU part number, compared as [`key`]s.
    pub(crate) fn sku_by_part(&self, key: &str) -> Option<SkuIdx> {
        self.by_part.get(key).copied()
    }

    /// The product of this SKU id, compared as [`key`]s.
    pub(crate) fn sku_by_id(&self, key: &str) -> Option<SkuIdx> {
        self.by_id.get(key).copied()
    }

    /// The products of this display name, compared as [`key`]s (several share some).
    pub(crate) fn skus_by_name(&self, key: &str) -> Option<&[SkuIdx]> {
        self.by_name.get(key).map(Vec::as_slice)
    }

    /// The service plan of this id or of any of its names, compared as [`key`]s.
    pub(crate) fn service_plan_by_key(&self, key: &str) -> Option<ServicePlanIdx> {
        self.service_plan_by_id
            .get(key)
            .or_else(|| self.service_plan_by_name.get(key))
            .copied()
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "a SkuIdx is only made by this catalog, for one of its products"
    )]
    pub(crate) fn sku(&self, sku: SkuIdx) -> &Sku {
        &self.skus[sku as usize]
    }

    pub(crate) fn sku_count(&self) -> usize {
        self.skus.len()
    }

    /// How outputs name a service plan: its first name in the catalog.
    #[allow(
        clippy::indexing_slicing,
        reason = "a ServicePlanIdx is only made by this catalog, for one of its plans"
    )]
    pub(crate) fn service_plan_name(&self, plan: ServicePlanIdx) -> &str {
        &self.service_plans[plan as usize]
    }

    /// A service plan's id, as Graph names it (the table gives one for each).
    pub(crate) fn service_plan_id(&self, plan: ServicePlanIdx) -> Option<Guid> {
        self.service_plan_ids.get(plan as usize).copied().flatten()
    }

    /// Whether product `sku` contains service plan `plan`.
    pub(crate) fn contains(&self, sku: SkuIdx, plan: ServicePlanIdx) -> bool {
        self.skus
            .get(sku as usize)
            .is_some_and(|s| s.service_plans.binary_search(&plan).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_and_service_plans_have_their_ids() {
        let c = Catalog::builtin().unwrap();
        let sku = |part: &str| c.sku(c.sku_by_part(&key(part)).unwrap());
        let text = |ids: &[Guid]| ids.iter().map(Guid::to_string).collect::<Vec<_>>();
        assert_eq!(
            text(&sku("SPB").ids),
            ["cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"]
        );
        assert_eq!(
            text(&sku("MCOPSTN5").ids),
            [
                "d43177b5-475b-4880-92d4-d54c27b5efbd",
                "54a152dc-90de-4996-93d2-bc47e670fc06"
            ]
        );
        let sway = c.service_plan_by_key("sway").unwrap();
        assert_eq!(
            c.service_plan_id(sway).map(|g| g.to_string()).as_deref(),
            Some("a23b959c-7ce8-4e57-9140-b90eb88a9e97")
        );
    }
}
