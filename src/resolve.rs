//! How a product or service plan named in an input resolves (SPEC.md, "Products:
//! the details"): names compared as [`key`]s; a product by SKU part number, then SKU
//! id, then display name, then the same without a `tenant:` prefix ([`lookup`]); a
//! display name shared by several SKUs through the subscriptions of the user's
//! organization ([`product`]); a planned user's `From` and `To` ([`ends`]); a
//! service plan by id or any of its names ([`service_plan`]); what each input
//! file does with a name that does not resolve (licenses joined with `;` or `,`
//! included: [`Lookups::licenses`]); and the SKU id by which a Graph request
//! names a user's license ([`sku_id`]).

// Indices here may come from the files: `get` them, never index.
#![warn(clippy::indexing_slicing)]

use rustc_hash::FxHashMap as HashMap;

use crate::catalog::{Catalog, ServicePlanIdx, SkuIdx};
use crate::codes::Code;
use crate::guid::Guid;
use crate::model::{OrgId, PlanRow, Pools, ProductId, Products, ServicePlanRef};

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

/// What a product name resolves to in the catalog, before any organization is
/// considered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Sku(SkuIdx),
    /// A display name shared by several products.
    Ambiguous(Vec<SkuIdx>),
    Unknown,
}

/// Resolves a product named by SKU part number, SKU id or display name, ignoring
/// case; then the same without an old-style `tenant:` prefix.
pub fn lookup(catalog: &Catalog, text: &str) -> Lookup {
    let found = lookup_exact(catalog, text);
    if found != Lookup::Unknown {
        return found;
    }
    match text.split_once(':') {
        Some((_, rest)) => lookup_exact(catalog, rest.trim_matches(char::is_whitespace)),
        None => Lookup::Unknown,
    }
}

fn lookup_exact(catalog: &Catalog, text: &str) -> Lookup {
    let k = key(text);
    if let Some(sku) = catalog.sku_by_part(&k).or_else(|| catalog.sku_by_id(&k)) {
        return Lookup::Sku(sku);
    }
    match catalog.skus_by_name(&k) {
        Some([sku]) => Lookup::Sku(*sku),
        Some(several) => Lookup::Ambiguous(several.to_vec()),
        None => Lookup::Unknown,
    }
}

/// A service plan named by id or by any of its names, ignoring case.
pub fn service_plan(catalog: &Catalog, text: &str) -> Option<ServicePlanIdx> {
    catalog.service_plan_by_key(&key(text))
}

/// A service plan as an input names it: the catalog's, or the text as written.
pub fn service_plan_ref(catalog: &Catalog, text: &str) -> ServicePlanRef {
    match service_plan(catalog, text) {
        Some(plan) => ServicePlanRef::Known(plan),
        None => ServicePlanRef::Other(text.into()),
    }
}

/// A product name resolved for one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Product(ProductId),
    Ambiguous,
    Unknown,
}

impl Resolved {
    pub fn product(self) -> Option<ProductId> {
        match self {
            Resolved::Product(p) => Some(p),
            Resolved::Ambiguous | Resolved::Unknown => None,
        }
    }
}

/// Resolves a looked-up product for a user of `org`: a display name shared by
/// several SKUs resolves to the one candidate the organization subscribes to.
pub fn product(pools: &Pools, lookup: &Lookup, org: Option<OrgId>) -> Resolved {
    match lookup {
        Lookup::Sku(sku) => Resolved::Product(ProductId::sku(*sku)),
        Lookup::Unknown => Resolved::Unknown,
        Lookup::Ambiguous(candidates) => {
            let mut subscribed = candidates
                .iter()
                .map(|&s| ProductId::sku(s))
                .filter(|&p| org.is_some_and(|o| pools.subscribes(o, p)));
            match (subscribed.next(), subscribed.next()) {
                (Some(product), None) => Resolved::Product(product),
                _ => Resolved::Ambiguous,
            }
        }
    }
}

/// `From` (when given) and `To` of a plan row as they resolve for one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ends {
    pub from: Option<Resolved>,
    pub to: Resolved,
}

impl Ends {
    /// The products `From` and `To` resolve to; `None` for one that is empty or
    /// does not resolve to one product.
    pub fn products(self) -> (Option<ProductId>, Option<ProductId>) {
        (self.from.and_then(Resolved::product), self.to.product())
    }
}

/// `From` and `To` of `row` as they resolve for a user of `org`: the one place a
/// planned user's products are worked out. Worked out again where needed rather
/// than kept per user: ten million users would keep 80 MB.
pub fn ends(pools: &Pools, row: &PlanRow, org: Option<OrgId>) -> Ends {
    Ends {
        from: row.from_lookup.as_ref().map(|l| product(pools, l, org)),
        to: product(pools, &row.to_lookup, org),
    }
}

/// `unknown-product` / `ambiguous-product`: `From`/`To` must resolve to one
/// catalog product.
pub fn catalog_product(products: &Products, resolved: Resolved) -> Result<ProductId, Code> {
    match resolved {
        Resolved::Product(p) if products.as_sku(p).is_some() => Ok(p),
        Resolved::Product(_) | Resolved::Unknown => Err(Code::UnknownProduct),
        Resolved::Ambiguous => Err(Code::AmbiguousProduct),
    }
}

/// The SKU id of a license of a user of `org` (SPEC.md, graph-requests.jsonl):
/// the id by which the user's Licenses cell named it, when it did (`named`, the
/// index among the catalog's ids for the product; a product the catalog does not
/// know is its text, so a GUID text is its id); else the SkuId subscriptions.csv
/// gives for the organization's pool; else the catalog's id when it lists one
/// only for that SKU part number. `None` when none of these gives one.
pub fn sku_id(
    catalog: &Catalog,
    products: &Products,
    pools: &Pools,
    org: OrgId,
    product: ProductId,
    named: Option<u8>,
) -> Option<Guid> {
    let ids = products
        .as_sku(product)
        .map(|sku| catalog.sku(sku).ids.as_slice());
    let by_name = match ids {
        Some(ids) => named.and_then(|i| ids.get(usize::from(i)).copied()),
        None => Guid::parse(products.name(catalog, product)),
    };
    let pool = || {
        let i = pools.get(org, product)?;
        pools.list.get(i)?.sku_id
    };
    let only = || match ids? {
        [only] => Some(*only),
        _ => None,
    };
    by_name.or_else(pool).or_else(only)
}

/// Whether a product that users.csv names is known: a catalog product, or one
/// that subscriptions.csv lists (matched as text). Any other is an unknown
/// license, never silent ([`crate::input::unknown`]).
pub fn is_known(products: &Products, pools: &Pools, product: ProductId) -> bool {
    products.as_sku(product).is_some() || !pools.holders(product).is_empty()
}

/// Product names already looked up, as the inputs are read: exports repeat the
/// same few names on every row.
pub struct Lookups<'c> {
    catalog: &'c Catalog,
    /// Text as written → index in `found`: one hash per cell on the common path.
    seen: HashMap<String, usize>,
    found: Vec<Lookup>,
    /// Service plans by the text as written.
    service_plans: HashMap<String, ServicePlanRef>,
}

impl<'c> Lookups<'c> {
    pub fn new(catalog: &'c Catalog) -> Lookups<'c> {
        Lookups {
            catalog,
            seen: HashMap::default(),
            found: Vec::new(),
            service_plans: HashMap::default(),
        }
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The service plan named `text`, as [`service_plan_ref`] finds it.
    pub fn service_plan(&mut self, text: &str) -> ServicePlanRef {
        if let Some(plan) = self.service_plans.get(text) {
            return plan.clone();
        }
        let plan = service_plan_ref(self.catalog, text);
        self.service_plans.insert(text.to_string(), plan.clone());
        plan
    }

    /// The product named `text`, as [`lookup`] finds it.
    #[allow(
        clippy::indexing_slicing,
        reason = "`seen` holds only indices of `found`"
    )]
    pub fn get(&mut self, text: &str) -> &Lookup {
        let i = match self.seen.get(text) {
            Some(&i) => i,
            None => {
                self.found.push(lookup(self.catalog, text));
                self.seen.insert(text.to_string(), self.found.len() - 1);
                self.found.len() - 1
            }
        };
        &self.found[i]
    }

    /// The licenses that a piece of a users.csv licenses cell (the cell split on
    /// `+`) names for a user of `org`, handed to `hold` one by one: the product
    /// it resolves to; else, when it holds `;` or `,` (a script's `-join ', '`)
    /// and every part resolves, the parts' products; else one product the
    /// catalog does not know (or cannot resolve), carried as written. Each with
    /// which of the catalog's ids for it the text is, if it is one
    /// ([`Lookups::named_by`]). Returns whether the piece was split.
    pub fn licenses(
        &mut self,
        pools: &Pools,
        products: &mut Products,
        text: &str,
        org: Option<OrgId>,
        mut hold: impl FnMut(ProductId, Option<u8>),
    ) -> bool {
        if let Some(product) = self.known(pools, products, text, org) {
            hold(product, self.named_by(products, product, text));
            return false;
        }
        let parts = || {
            text.split([';', ','])
                .map(|part| part.trim_matches(char::is_whitespace))
                .filter(|part| !part.is_empty())
        };
        if text.contains([';', ','])
            && parts().all(|part| self.known(pools, products, part, org).is_some())
        {
            for part in parts() {
                if let Some(product) = self.known(pools, products, part, org) {
                    hold(product, self.named_by(products, product, part));
                }
            }
            return true;
        }
        hold(products.other(text), None);
        false
    }

    /// The product `text` names for a user of `org`, if it names one: a catalog
    /// product (a shared display name settled by the organization's
    /// subscriptions), or a product of subscriptions.csv.
    fn known(
        &mut self,
        pools: &Pools,
        products: &Products,
        text: &str,
        org: Option<OrgId>,
    ) -> Option<ProductId> {
        match product(pools, self.get(text), org) {
            Resolved::Product(product) => Some(product),
            Resolved::Ambiguous | Resolved::Unknown => products
                .find_other(text)
                .filter(|&product| is_known(products, pools, product)),
        }
    }

    /// Which of the catalog's ids for `product` the license text `text` is (SKU
    /// ids compare ignoring case), when the text is one: what the user holds,
    /// which a Graph request names. `None` for a text that is a part number or a
    /// name, or a product the catalog does not know (its text is all there is).
    pub fn named_by(&self, products: &Products, product: ProductId, text: &str) -> Option<u8> {
        let sku = products.as_sku(product)?;
        // As lookup() does: the whole text, then without a `tenant:` prefix.
        let id = Guid::parse(text).or_else(|| {
            let (_, rest) = text.split_once(':')?;
            Guid::parse(rest.trim_matches(char::is_whitespace))
        })?;
        let index = self.catalog.sku(sku).ids.iter().position(|&i| i == id)?;
        u8::try_from(index).ok()
    }

    /// The product of a subscriptions.csv row, which has no user to decide between
    /// the SKUs of a shared display name: `Err` with their SKU part numbers then.
    /// One the catalog does not know is carried as written.
    pub fn pool_product(
        &mut self,
        products: &mut Products,
        text: &str,
    ) -> Result<ProductId, Vec<&'c str>> {
        let catalog = self.catalog;
        match self.get(text) {
            Lookup::Sku(sku) => Ok(ProductId::sku(*sku)),
            Lookup::Unknown => Ok(products.other(text)),
            Lookup::Ambiguous(candidates) => Err(candidates
                .iter()
                .map(|&s| catalog.sku(s).part.as_str())
                .collect()),
        }
    }

    /// The product a prices.csv row prices: a catalog SKU, else a product that
    /// subscriptions.csv carries as written; `None` for one nobody subscribes to.
    /// Like subscriptions.csv, a shared display name is `Err` with its SKU part
    /// numbers.
    pub fn priced_product(
        &mut self,
        products: &Products,
        text: &str,
    ) -> Result<Option<ProductId>, Vec<&'c str>> {
        let catalog = self.catalog;
        match self.get(text) {
            Lookup::Sku(sku) => Ok(Some(ProductId::sku(*sku))),
            Lookup::Unknown => Ok(products.find_other(text)),
            Lookup::Ambiguous(candidates) => Err(candidates
                .iter()
                .map(|&s| catalog.sku(s).part.as_str())
                .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn part(c: &Catalog, text: &str) -> String {
        match lookup(c, text) {
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
            c.sku(match lookup(&c, "Dynamics 365 Talent: Attract") {
                Lookup::Sku(s) => s,
                _ => unreachable!(),
            })
            .part
        );
        assert_eq!(lookup(&c, "contoso:NOPE"), Lookup::Unknown);
    }

    #[test]
    fn shared_display_names_are_ambiguous() {
        let c = catalog();
        let Lookup::Ambiguous(skus) = lookup(&c, "Microsoft 365 Business Basic") else {
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
    fn a_part_number_with_several_ids_and_names_is_one_product() {
        let c = catalog();
        for name in [
            "MCOPSTN5",
            "d43177b5-475b-4880-92d4-d54c27b5efbd",
            "54a152dc-90de-4996-93d2-bc47e670fc06",
            "Skype for Business PSTN Calling Domestic Small",
            "Skype for Business PSTN Domestic Calling (120 Minutes)",
        ] {
            assert_eq!(part(&c, name), "MCOPSTN5", "{name}");
        }
    }

    #[test]
    fn non_breaking_spaces_in_part_numbers_are_spaces() {
        let c = catalog();
        let m3 = "O365_w/o Teams Bundle_M3";
        assert_eq!(part(&c, "O365_w/o\u{a0}Teams\u{a0}Bundle_M3"), m3);
        assert_eq!(part(&c, "c2fe850d-fbbb-4858-b67d-bd0c6e746da3"), m3);
    }

    #[test]
    fn service_plans_resolve_by_id_or_any_name_and_print_their_first_name() {
        let c = catalog();
        let by_name = service_plan(&c, "exchange_s_standard").unwrap();
        assert_eq!(c.service_plan_name(by_name), "EXCHANGE_S_STANDARD");
        let by_id = service_plan(&c, "9aaf7827-d63c-4b61-89c3-182f06f82e5c").unwrap();
        assert_eq!(by_id, by_name);
        let deskless = service_plan(&c, "deskless").unwrap();
        assert_eq!(service_plan(&c, "DESKLESS"), Some(deskless));
        let Lookup::Sku(spb) = lookup(&c, "SPB") else {
            unreachable!()
        };
        assert!(c.contains(spb, by_name));
    }
}
