//! Microsoft's "Product names and service plan identifiers for licensing" table:
//! products (SKUs) and the service plans they contain, and how a product named by
//! part number, id or display name resolves to one of them.

#![warn(clippy::indexing_slicing)]

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use crate::audit::{Digest, DigestSlot};
use crate::error::InputError;
use crate::input::table::{Column, Source, Table};

/// The built-in copy of Microsoft's table.
const BUILTIN: &[u8] = include_bytes!("../data/ms-licensing-catalog.csv");

/// Index of a product in the catalog.
pub type SkuIdx = u32;
/// Index of a service plan in the catalog.
pub type PlanIdx = u32;

/// A product of the catalog.
#[derive(Debug)]
pub struct Sku {
    /// The SKU part number (`SPB`): how outputs name the product.
    pub part: String,
    pub display_name: String,
    /// The service plans it contains, sorted.
    pub plans: Vec<PlanIdx>,
}

/// What a product name resolves to, before any organization is considered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Sku(SkuIdx),
    /// A display name shared by several products.
    Ambiguous(Vec<SkuIdx>),
    Unknown,
}

/// The products and service plans of the catalog.
#[derive(Debug)]
pub struct Catalog {
    skus: Vec<Sku>,
    /// Service plans by index: the first name the catalog gives each.
    plans: Vec<String>,
    by_part: HashMap<String, SkuIdx>,
    by_id: HashMap<String, SkuIdx>,
    by_name: HashMap<String, Vec<SkuIdx>>,
    plan_by_id: HashMap<String, PlanIdx>,
    plan_by_name: HashMap<String, PlanIdx>,
    /// The table's size and SHA-256, for the audit trail.
    digest: Digest,
}

const DISPLAY: usize = 0;
const PART: usize = 1;
const ID: usize = 2;
const PLAN_NAME: usize = 3;
const PLAN_ID: usize = 4;

const COLUMNS: &[Column] = &[
    Column {
        names: &["Product_Display_Name"],
        required: true,
    },
    Column {
        names: &["String_Id"],
        required: true,
    },
    Column {
        names: &["GUID"],
        required: true,
    },
    Column {
        names: &["Service_Plan_Name"],
        required: true,
    },
    Column {
        names: &["Service_Plan_Id"],
        required: true,
    },
];

impl Catalog {
    /// The table embedded in the binary.
    pub fn builtin() -> Result<Catalog, InputError> {
        let (source, slot) = Source::bytes("built-in catalog", BUILTIN);
        Catalog::read(Table::open(source, COLUMNS)?, &slot)
    }

    /// A table in Microsoft's published CSV format (`--catalog`).
    pub fn load(path: &Path) -> Result<Catalog, InputError> {
        let (source, slot) = Source::open(path)?;
        Catalog::read(Table::open(source, COLUMNS)?, &slot)
    }

    fn read(mut table: Table, slot: &DigestSlot) -> Result<Catalog, InputError> {
        let mut catalog = Catalog {
            skus: Vec::new(),
            plans: Vec::new(),
            by_part: HashMap::default(),
            by_id: HashMap::default(),
            by_name: HashMap::default(),
            plan_by_id: HashMap::default(),
            plan_by_name: HashMap::default(),
            digest: Digest {
                bytes: 0,
                sha256: [0; 32],
            },
        };
        while table.next_row()? {
            for column in [DISPLAY, PART, ID] {
                if table.get(column).is_empty() {
                    return Err(table.empty_error(column));
                }
            }
            let part = table.get(PART);
            let sku = match catalog.by_part.get(&key(part)) {
                Some(&sku) => sku,
                None => {
                    let sku = catalog.skus.len() as SkuIdx;
                    catalog.skus.push(Sku {
                        part: part.to_string(),
                        display_name: table.get(DISPLAY).to_string(),
                        plans: Vec::new(),
                    });
                    catalog.by_part.insert(key(part), sku);
                    let names = catalog.by_name.entry(key(table.get(DISPLAY))).or_default();
                    if !names.contains(&sku) {
                        names.push(sku);
                    }
                    sku
                }
            };
            catalog.by_id.entry(key(table.get(ID))).or_insert(sku);
            let (plan_name, plan_id) = (table.get(PLAN_NAME), table.get(PLAN_ID));
            if plan_name.is_empty() && plan_id.is_empty() {
                continue;
            }
            let plan = catalog.intern_plan(plan_name, plan_id);
            if let Some(sku) = catalog.skus.get_mut(sku as usize) {
                sku.plans.push(plan);
            }
        }
        for sku in &mut catalog.skus {
            sku.plans.sort_unstable();
            sku.plans.dedup();
        }
        catalog.digest = slot.get().ok_or_else(|| InputError::Io {
            file: table.file().to_string(),
            source: std::io::Error::other("the file was not read to its end"),
        })?;
        Ok(catalog)
    }

    /// The table's size and SHA-256, taken as it was read.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// A plan is one service plan whatever id or name the table gives it on a row:
    /// ids and names seen together are the same plan, named by its first name.
    fn intern_plan(&mut self, name: &str, id: &str) -> PlanIdx {
        let (name_key, id_key) = (key(name), key(id));
        let known = self
            .plan_by_id
            .get(&id_key)
            .or_else(|| self.plan_by_name.get(&name_key))
            .copied();
        let plan = known.unwrap_or_else(|| {
            self.plans
                .push(if name.is_empty() { id } else { name }.to_string());
            (self.plans.len() - 1) as PlanIdx
        });
        if !id_key.is_empty() {
            self.plan_by_id.entry(id_key).or_insert(plan);
        }
        if !name_key.is_empty() {
            self.plan_by_name.entry(name_key).or_insert(plan);
        }
        plan
    }

    /// Resolves a product named by SKU part number, SKU id or display name, ignoring
    /// case; then the same without an old-style `tenant:` prefix.
    pub fn lookup(&self, text: &str) -> Lookup {
        let found = self.lookup_exact(text);
        if found != Lookup::Unknown {
            return found;
        }
        match text.split_once(':') {
            Some((_, rest)) => self.lookup_exact(rest.trim_matches(char::is_whitespace)),
            None => Lookup::Unknown,
        }
    }

    fn lookup_exact(&self, text: &str) -> Lookup {
        let k = key(text);
        if let Some(&sku) = self.by_part.get(&k).or_else(|| self.by_id.get(&k)) {
            return Lookup::Sku(sku);
        }
        match self.by_name.get(&k).map(Vec::as_slice) {
            Some([sku]) => Lookup::Sku(*sku),
            Some(several) => Lookup::Ambiguous(several.to_vec()),
            None => Lookup::Unknown,
        }
    }

    /// A service plan named by id or by any of its names, ignoring case.
    pub fn plan(&self, text: &str) -> Option<PlanIdx> {
        let k = key(text);
        self.plan_by_id
            .get(&k)
            .or_else(|| self.plan_by_name.get(&k))
            .copied()
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "a SkuIdx is only made by this catalog, for one of its products"
    )]
    pub fn sku(&self, sku: SkuIdx) -> &Sku {
        &self.skus[sku as usize]
    }

    pub fn sku_count(&self) -> usize {
        self.skus.len()
    }

    /// How outputs name a service plan: its first name in the catalog.
    #[allow(
        clippy::indexing_slicing,
        reason = "a PlanIdx is only made by this catalog, for one of its plans"
    )]
    pub fn plan_name(&self, plan: PlanIdx) -> &str {
        &self.plans[plan as usize]
    }

    /// Whether product `sku` contains service plan `plan`.
    pub fn contains(&self, sku: SkuIdx, plan: PlanIdx) -> bool {
        self.skus
            .get(sku as usize)
            .is_some_and(|s| s.plans.binary_search(&plan).is_ok())
    }
}

/// A name as compared: lowercase, non-breaking and repeated spaces folded to one
/// space, since exports and spreadsheets introduce both.
pub fn key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn part(c: &Catalog, text: &str) -> String {
        match c.lookup(text) {
            Lookup::Sku(s) => c.sku(s).part.clone(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn resolves_by_part_number_id_and_display_name_ignoring_case() {
        let c = catalog();
        assert_eq!(part(&c, "spb"), "SPB");
        assert_eq!(part(&c, "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"), "SPB");
        assert_eq!(part(&c, "microsoft 365 business PREMIUM"), "SPB");
        assert_eq!(part(&c, "Microsoft 365\u{a0}Business  Premium"), "SPB");
    }

    #[test]
    fn tenant_prefix_is_tried_after_the_whole_text() {
        let c = catalog();
        assert_eq!(part(&c, "contoso:SPB"), "SPB");
        assert_eq!(
            part(&c, "Dynamics 365 Talent: Attract"),
            c.sku(match c.lookup("Dynamics 365 Talent: Attract") {
                Lookup::Sku(s) => s,
                _ => unreachable!(),
            })
            .part
        );
        assert_eq!(c.lookup("contoso:NOPE"), Lookup::Unknown);
    }

    #[test]
    fn shared_display_names_are_ambiguous() {
        let c = catalog();
        let Lookup::Ambiguous(skus) = c.lookup("Microsoft 365 Business Basic") else {
            panic!("not ambiguous")
        };
        let mut parts: Vec<_> = skus.iter().map(|&s| c.sku(s).part.as_str()).collect();
        parts.sort();
        assert_eq!(
            parts,
            ["O365_BUSINESS_ESSENTIALS", "SMB_BUSINESS_ESSENTIALS"]
        );
    }

    #[test]
    fn cells_are_trimmed_including_non_breaking_spaces() {
        let c = catalog();
        assert_eq!(part(&c, "MCOCAP_FACULTY"), "MCOCAP_FACULTY");
        assert_eq!(
            part(&c, "AAD_PREMIUM_USGOV_GCCHIGH"),
            "AAD_PREMIUM_USGOV_GCCHIGH"
        );
    }

    #[test]
    fn service_plans_resolve_by_id_or_any_name_and_print_their_first_name() {
        let c = catalog();
        let by_name = c.plan("exchange_s_standard").unwrap();
        assert_eq!(c.plan_name(by_name), "EXCHANGE_S_STANDARD");
        let by_id = c.plan("9aaf7827-d63c-4b61-89c3-182f06f82e5c").unwrap();
        assert_eq!(by_id, by_name);
        let deskless = c.plan("deskless").unwrap();
        assert_eq!(c.plan("DESKLESS"), Some(deskless));
        let Lookup::Sku(spb) = c.lookup("SPB") else {
            unreachable!()
        };
        assert!(c.contains(spb, by_name));
    }
}
