//! Licenses of users.csv that are neither a catalog product nor a product of
//! subscriptions.csv: counted as users.csv is read, so that none goes unseen
//! (`check` lists them, stderr names the most held, summary.json and the report
//! carry them). A trial SKU is legitimate; a renamed product or a misjoined list
//! must be visible.

use rustc_hash::FxHashMap as HashMap;

use crate::catalog::Catalog;
use crate::model::{Held, Pools, ProductId, Products, UnknownLicense};
use crate::resolve;

/// Counts unknown licenses user by user, in users.csv order.
#[derive(Default)]
pub struct Unknowns {
    index: HashMap<ProductId, usize>,
    /// Product, users holding it, first user.
    found: Vec<(ProductId, u64, String)>,
}

impl Unknowns {
    /// Counts the unknown licenses among one user's (each listed once).
    pub fn add(&mut self, licenses: &[Held], upn: &str, products: &Products, pools: &Pools) {
        for held in licenses {
            let product = held.product();
            if resolve::is_known(products, pools, product) {
                continue;
            }
            match self.index.get(&product) {
                Some(&i) => {
                    if let Some(found) = self.found.get_mut(i) {
                        found.1 += 1;
                    }
                }
                None => {
                    self.index.insert(product, self.found.len());
                    self.found.push((product, 1, upn.to_string()));
                }
            }
        }
    }

    /// Every unknown license, held by the most users first (then in the order
    /// users.csv first names them).
    pub fn finish(self, products: &Products, catalog: &Catalog) -> Vec<UnknownLicense> {
        let mut list: Vec<UnknownLicense> = self
            .found
            .into_iter()
            .map(|(product, users, first_user)| UnknownLicense {
                text: products.name(catalog, product).to_string(),
                users,
                first_user,
            })
            .collect();
        list.sort_by_key(|u| std::cmp::Reverse(u.users));
        list
    }
}

/// How many unknown licenses stderr names.
const NAMED: usize = 3;

/// The stderr warning about the unknown licenses of `file`, if there are any:
/// how many, and the [`NAMED`] held by the most users.
pub fn warning(file: &str, unknown: &[UnknownLicense]) -> Option<String> {
    if unknown.is_empty() {
        return None;
    }
    let named: Vec<String> = unknown
        .iter()
        .take(NAMED)
        .map(|u| format!("`{}` ({})", u.text, users(u.users)))
        .collect();
    let more = unknown.len().saturating_sub(NAMED);
    Some(format!(
        "{file}: {} neither in the catalog nor in subscriptions.csv, carried as written: {}{}; `replan check` lists them all. A product renamed since the catalog was published needs a newer one (--catalog)",
        match unknown.len() {
            1 => "1 license is".to_string(),
            n => format!("{n} licenses are"),
        },
        named.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// `1 user`, `2 users`.
pub fn users(n: u64) -> String {
    if n == 1 {
        "1 user".to_string()
    } else {
        format!("{n} users")
    }
}
