//! prices.csv: what a license costs per month, per product and optionally per
//! organization, in exact decimals ([`crate::money`]).

use rustc_hash::FxHashMap as HashMap;

use crate::error::InputError;
use crate::input::table::{Source, Table, columns};
use crate::model::{OrgId, Orgs, ProductId, Products};
use crate::money::{Amount, Currency};
use crate::resolve::Lookups;

columns! {
    /// prices.csv's columns.
    enum Column {
        Product: required ["Product", "SkuPartNumber", "SkuId", "Product name", "DisplayName", "License Name"],
        Price: required ["Price", "Cost", "Unit price", "UnitPrice"],
        Currency: optional ["Currency"],
        Organization: optional ["Organization", "Tenant"],
    }
}

/// What one license of a pool costs per month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    pub amount: Amount,
    pub currency: Currency,
}

/// The prices of prices.csv, by product: one organization's own, and the one for
/// every organization that has none of its own.
#[derive(Debug, Default)]
pub struct Prices {
    own: HashMap<(OrgId, ProductId), Price>,
    shared: HashMap<ProductId, Price>,
}

impl Prices {
    /// The price of `product` for `org`: its own row, else the row without an
    /// organization.
    pub fn of(&self, org: OrgId, product: ProductId) -> Option<&Price> {
        self.own
            .get(&(org, product))
            .or_else(|| self.shared.get(&product))
    }
}

/// Who a row prices, to find two rows for the same product and organization:
/// resolved where the tenant knows them, else as written (lowercase).
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<T> {
    Known(T),
    Text(String),
}

/// Reads prices.csv, resolving products through the catalog (and the unknown
/// products of subscriptions.csv, as text) and organizations by name or domain.
/// Returns the prices, the rows read, and warnings about rows that price nothing
/// in this tenant because their organization is unknown.
pub fn read(
    source: Source,
    lookups: &mut Lookups,
    orgs: &Orgs,
    products: &Products,
) -> Result<(Prices, u64, Vec<String>), InputError> {
    let mut table = Table::open::<Column>(source)?;
    let mut prices = Prices::default();
    let mut warnings = Vec::new();
    // (organization, product) → the line that priced it first.
    let mut seen: HashMap<(Option<Key<OrgId>>, Key<ProductId>), u64> = HashMap::default();
    while table.next_row()? {
        let cell = table.get(Column::Price);
        // A template's price left blank (AdminDroid's writes `_`): no price known.
        if cell.bytes().all(|b| b == b'_' || b == b'-') {
            continue;
        }
        let amount = Amount::parse(cell).map_err(|e| table.error(Column::Price, e.to_string()))?;
        let text = table.get(Column::Product);
        if text.is_empty() {
            return Err(table.empty_error(Column::Product));
        }
        let product = lookups.priced_product(products, text).map_err(|parts| {
            table.error(
                Column::Product,
                format!(
                    "`{text}` is the display name of several products ({}): name the product by its SKU part number",
                    parts.join(", ")
                ),
            )
        })?;
        let currency = Currency::parse(table.get(Column::Currency)).ok_or_else(|| {
            table.error(
                Column::Currency,
                format!(
                    "`{}` is not a currency: write its 3-letter ISO code (`EUR`, `USD`), or leave it empty",
                    table.get(Column::Currency)
                ),
            )
        })?;
        let org_text = table.get(Column::Organization);
        let org = (!org_text.is_empty()).then(|| orgs.find(org_text));
        let key = (
            org.map(|o| o.map_or_else(|| Key::Text(org_text.to_lowercase()), Key::Known)),
            product.map_or_else(|| Key::Text(text.to_lowercase()), Key::Known),
        );
        if let Some(first) = seen.insert(key, table.line()) {
            let whom = if org_text.is_empty() {
                "every organization".to_string()
            } else {
                format!("`{org_text}`")
            };
            return Err(table.error(
                Column::Product,
                format!("a second price for `{text}` for {whom} (the first is on line {first})"),
            ));
        }
        let price = Price { amount, currency };
        match (org, product) {
            (Some(None), _) => warnings.push(format!(
                "{}:{}:{}: no organization `{org_text}` in subscriptions.csv or domains.csv: this price is not used",
                table.file(),
                table.line(),
                table.column_number(Column::Organization)
            )),
            // A product nobody subscribes to: nothing to price.
            (_, None) => {}
            (Some(Some(org)), Some(product)) => {
                prices.own.insert((org, product), price);
            }
            (None, Some(product)) => {
                prices.shared.insert(product, price);
            }
        }
    }
    Ok((prices, table.rows(), warnings))
}
