//! What the pools of subscription-actions.csv cost per month, now and once their
//! actions are carried out, at prices.csv's prices: per pool, and summed per
//! currency (amounts of different currencies are never added together).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::count::Action;
use crate::input::prices::Price;
use crate::money::{Amount, Currency};
use crate::run::Processed;

/// One pool's monthly cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolCost<'a> {
    pub price: &'a Price,
    /// total × price.
    pub before: Amount,
    /// (total − licenses to remove + licenses to buy) × price.
    pub after: Amount,
}

impl PoolCost<'_> {
    pub fn change(&self) -> Amount {
        self.after.minus(self.before)
    }
}

/// The monthly cost of an action's pool; `None` when prices.csv has no price for it.
pub fn of_pool<'a>(p: &'a Processed, action: &Action) -> Option<PoolCost<'a>> {
    let pool = &p.tenant.pools.list[action.pool];
    let price = p.tenant.prices.of(pool.org, pool.product)?;
    let seats_after = pool.total - action.to_remove + action.to_buy;
    Some(PoolCost {
        price,
        before: price.amount.times(pool.total),
        after: price.amount.times(seats_after),
    })
}

/// Monthly totals in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub before: Amount,
    pub after: Amount,
}

impl Totals {
    pub fn change(&self) -> Amount {
        self.after.minus(self.before)
    }
}

/// summary.json `costs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// Whether a prices.csv was read: without one, `costs` is `{}`.
    pub priced: bool,
    pub currencies: BTreeMap<Currency, Totals>,
    /// `organization/SKU` of the pools without a price, in subscription-actions.csv order.
    pub unpriced: Vec<String>,
}

impl Costs {
    pub fn of(p: &Processed) -> Costs {
        let mut costs = Costs {
            priced: p.tenant.rows.prices.is_some(),
            ..Costs::default()
        };
        if !costs.priced {
            return costs;
        }
        for action in &p.actions {
            match of_pool(p, action) {
                Some(cost) => {
                    let totals = costs
                        .currencies
                        .entry(cost.price.currency.clone())
                        .or_default();
                    totals.before = totals.before.plus(cost.before);
                    totals.after = totals.after.plus(cost.after);
                }
                None => {
                    let pool = &p.tenant.pools.list[action.pool];
                    costs.unpriced.push(format!(
                        "{}/{}",
                        p.tenant.orgs.name(pool.org),
                        p.tenant.products.name(&p.catalog, pool.product)
                    ));
                }
            }
        }
        costs
    }
}

/// `{}` without prices; else each currency → `{"before", "after", "change"}` as
/// exact decimal strings, then `"unpriced"`.
impl Serialize for Costs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry {
            before: String,
            after: String,
            change: String,
        }
        if !self.priced {
            return s.serialize_map(Some(0))?.end();
        }
        let mut map = s.serialize_map(Some(self.currencies.len() + 1))?;
        for (currency, totals) in &self.currencies {
            let entry = Entry {
                before: totals.before.to_string(),
                after: totals.after.to_string(),
                change: totals.change().to_string(),
            };
            map.serialize_entry(currency.code(), &entry)?;
        }
        map.serialize_entry("unpriced", &self.unpriced)?;
        map.end()
    }
}
