//! Products as the tenant names them (catalog SKUs, or texts the catalog does not
//! know), and service plans as an input names them.

use std::num::NonZeroU32;

use rustc_hash::FxHashMap as HashMap;

use crate::catalog::{Catalog, ServicePlanIdx, SkuIdx};
use crate::resolve::key;

/// A product as the tenant names it: a catalog SKU, or a text the catalog does not
/// know (a trial, a new SKU), matched ignoring case and carried as first written.
/// Held one past its index, so that an `Option<ProductId>` takes 4 bytes, not 8
/// (a verdict holds two, and there is one verdict per planned user).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(NonZeroU32);

impl ProductId {
    /// The product of a catalog SKU.
    pub fn sku(sku: SkuIdx) -> ProductId {
        ProductId::at(sku)
    }

    pub(super) fn at(index: u32) -> ProductId {
        ProductId(NonZeroU32::MIN.saturating_add(index))
    }

    pub(super) fn index(self) -> u32 {
        self.0.get() - 1
    }
}

/// The products met in the inputs.
#[derive(Debug)]
pub struct Products {
    skus: usize,
    others: Vec<String>,
    other_index: HashMap<String, u32>,
    /// `other_index` by the text as written.
    by_text: HashMap<String, u32>,
}

impl Products {
    pub fn new(catalog: &Catalog) -> Products {
        Products {
            skus: catalog.sku_count(),
            others: Vec::new(),
            other_index: HashMap::default(),
            by_text: HashMap::default(),
        }
    }

    /// A product the catalog does not know, by its text.
    pub fn other(&mut self, text: &str) -> ProductId {
        // Exports repeat the same spellings on every row: skip normalizing them.
        if let Some(&i) = self.by_text.get(text) {
            return ProductId::at(i);
        }
        let id = self.other_by_key(text);
        self.by_text.insert(text.to_string(), id.index());
        id
    }

    fn other_by_key(&mut self, text: &str) -> ProductId {
        let k = key(text);
        if let Some(&i) = self.other_index.get(&k) {
            return ProductId::at(i);
        }
        let id = (self.skus + self.others.len()) as u32;
        self.others.push(text.to_string());
        self.other_index.insert(k, id);
        ProductId::at(id)
    }

    /// A product the catalog does not know, if the inputs named it.
    pub fn find_other(&self, text: &str) -> Option<ProductId> {
        // A spelling met before needs no normalizing (nor allocation).
        match self.by_text.get(text) {
            Some(&i) => Some(ProductId::at(i)),
            None => self.other_index.get(&key(text)).map(|&i| ProductId::at(i)),
        }
    }

    /// The catalog SKU, if the product is one.
    pub fn as_sku(&self, product: ProductId) -> Option<SkuIdx> {
        let i = product.index();
        ((i as usize) < self.skus).then_some(i)
    }

    /// How outputs name a product: its SKU part number, or the text as written.
    pub fn name<'a>(&'a self, catalog: &'a Catalog, product: ProductId) -> &'a str {
        match self.as_sku(product) {
            Some(sku) => &catalog.sku(sku).part,
            None => &self.others[product.index() as usize - self.skus],
        }
    }
}

/// A service plan as named in an input ([`crate::resolve::service_plan`] finds it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServicePlanRef {
    Known(ServicePlanIdx),
    /// Not in the catalog: carried as written.
    Other(Box<str>),
}

impl ServicePlanRef {
    pub fn name<'a>(&'a self, catalog: &'a Catalog) -> &'a str {
        match self {
            ServicePlanRef::Known(plan) => catalog.service_plan_name(*plan),
            ServicePlanRef::Other(text) => text,
        }
    }
}

/// A license text of users.csv that is neither a catalog product nor a product
/// of subscriptions.csv, and who holds it (counted by [`crate::input::unknown`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLicense {
    /// The text as first spelled in the inputs.
    pub text: String,
    /// Users holding it (directly or through a group).
    pub users: u64,
    /// The principal name of the first user holding it, in users.csv order.
    pub first_user: String,
}
