//! License pools: the licenses of one product bought by one organization.

use rustc_hash::FxHashMap as HashMap;

use crate::guid::Guid;
use crate::model::{OrgId, ProductId};

/// The licenses of one product bought by one organization (all its subscription rows).
#[derive(Debug)]
pub struct Pool {
    pub org: OrgId,
    pub product: ProductId,
    pub total: u64,
    pub assigned: u64,
    pub active: bool,
    /// The status as written when the pool is not active (for messages).
    pub status: String,
    /// The SKU id subscriptions.csv gives it (`SkuId`), the first its rows give.
    pub sku_id: Option<Guid>,
}

/// Pools by organization and product.
#[derive(Debug, Default)]
pub struct Pools {
    pub list: Vec<Pool>,
    index: HashMap<(OrgId, ProductId), usize>,
    by_product: HashMap<ProductId, Vec<OrgId>>,
}

impl Pools {
    /// Adds a subscription row: rows of one organization and product add up, and
    /// the pool is active if any row is.
    pub fn add(
        &mut self,
        org: OrgId,
        product: ProductId,
        total: u64,
        assigned: u64,
        status: &str,
        active: bool,
    ) {
        let i = *self.index.entry((org, product)).or_insert_with(|| {
            self.by_product.entry(product).or_default().push(org);
            self.list.push(Pool {
                org,
                product,
                total: 0,
                assigned: 0,
                active: false,
                status: status.to_string(),
                sku_id: None,
            });
            self.list.len() - 1
        });
        let pool = &mut self.list[i];
        pool.total = pool.total.saturating_add(total);
        pool.assigned = pool.assigned.saturating_add(assigned);
        pool.active |= active;
    }

    /// Gives the pool of `org` and `product` (added already) its SKU id, unless
    /// an earlier row of it did.
    pub fn name_sku(&mut self, org: OrgId, product: ProductId, id: Guid) {
        if let Some(pool) = self.get(org, product).and_then(|i| self.list.get_mut(i)) {
            pool.sku_id.get_or_insert(id);
        }
    }

    pub fn get(&self, org: OrgId, product: ProductId) -> Option<usize> {
        self.index.get(&(org, product)).copied()
    }

    /// Whether `org` has a subscription of `product`, of any status.
    pub fn subscribes(&self, org: OrgId, product: ProductId) -> bool {
        self.index.contains_key(&(org, product))
    }

    /// The organizations with a subscription of `product`, in input order.
    pub fn holders(&self, product: ProductId) -> &[OrgId] {
        self.by_product.get(&product).map_or(&[], Vec::as_slice)
    }
}
