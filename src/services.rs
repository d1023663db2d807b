//! Data services (mailbox, archive, SharePoint, OneDrive, Teams, Viva Engage): which
//! a user has, so that a move that loses one is seen as a downgrade needing a backup.

use crate::catalog::{Catalog, ServicePlanIdx};
use crate::model::{ProductId, Products, ServicePlanRef};
use crate::resolve::service_plan;

/// Each data service and the service plans that provide it, as SPEC.md lists them.
const SERVICES: [(&str, &[&str]); 6] = [
    (
        "mailbox",
        &[
            "EXCHANGE_S_STANDARD",
            "EXCHANGE_S_STANDARD_GOV",
            "EXCHANGE_S_STANDARD_MIDMARKET",
            "EXCHANGE_S_ENTERPRISE",
            "EXCHANGE_S_ENTERPRISE_GOV",
            "EXCHANGE_S_DESKLESS",
            "EXCHANGE_S_DESKLESS_GOV",
            "EXCHANGE_S_ESSENTIALS",
            "EXCHANGE_B_STANDARD",
            "EXCHANGE_L_STANDARD",
        ],
    ),
    (
        "archive",
        &[
            "EXCHANGE_S_ARCHIVE",
            "EXCHANGE_S_ARCHIVE_ADDON",
            "EXCHANGE_S_ENTERPRISE",
            "EXCHANGE_S_ENTERPRISE_GOV",
        ],
    ),
    ("sharepoint", SHAREPOINT),
    (
        "onedrive",
        &[
            "ONEDRIVESTANDARD",
            "ONEDRIVEENTERPRISE",
            "ONEDRIVE_BASIC",
            "ONEDRIVE_BASIC_GOV",
            "ONEDRIVE_BASIC_P2",
            "ONEDRIVELITE_IW",
        ],
    ),
    (
        "teams",
        &["TEAMS1", "TEAMS_GOV", "TEAMS_AR_DOD", "TEAMS_AR_GCCHIGH"],
    ),
    (
        "viva-engage",
        &["YAMMER_ENTERPRISE", "YAMMER_EDU", "YAMMER_MIDSIZE"],
    ),
];

const SHAREPOINT: &[&str] = &[
    "SHAREPOINTSTANDARD",
    "SHAREPOINTSTANDARD_EDU",
    "SHAREPOINTENTERPRISE",
    "SHAREPOINTENTERPRISE_EDU",
    "SHAREPOINTENTERPRISE_GOV",
    "SHAREPOINTENTERPRISE_MIDMARKET",
    "SHAREPOINTDESKLESS",
    "SHAREPOINTDESKLESS_GOV",
    "SHAREPOINTLITE",
];

const ONEDRIVE: u8 = 1 << 3;

/// A set of data services.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceSet(u8);

impl ServiceSet {
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The services in `self` that `after` lacks.
    pub fn lost_in(self, after: ServiceSet) -> ServiceSet {
        ServiceSet(self.0 & !after.0)
    }

    /// `;`-joined names, in the table's order.
    pub fn join(self) -> String {
        self.names().collect::<Vec<_>>().join(";")
    }

    /// Names, in the table's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> + Clone {
        SERVICES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, (name, _))| *name)
    }
}

/// For each catalog product, its service plans that provide a data service.
pub struct DataServices {
    per_sku: Vec<Vec<(ServicePlanIdx, u8)>>,
}

impl DataServices {
    pub fn new(catalog: &Catalog) -> DataServices {
        let mut mask_of = std::collections::HashMap::<ServicePlanIdx, u8>::new();
        for (i, (_, plans)) in SERVICES.iter().enumerate() {
            for name in *plans {
                if let Some(plan) = service_plan(catalog, name) {
                    *mask_of.entry(plan).or_default() |= 1 << i;
                }
            }
        }
        // OneDrive comes with every SharePoint plan.
        for name in SHAREPOINT {
            if let Some(plan) = service_plan(catalog, name) {
                *mask_of.entry(plan).or_default() |= ONEDRIVE;
            }
        }
        let per_sku = (0..catalog.sku_count() as u32)
            .map(|sku| {
                catalog
                    .sku(sku)
                    .service_plans
                    .iter()
                    .filter_map(|p| mask_of.get(p).map(|&m| (*p, m)))
                    .collect()
            })
            .collect();
        DataServices { per_sku }
    }

    /// The data services that `licenses` give when `disabled` plans are switched off.
    pub fn of(
        &self,
        products: &Products,
        licenses: impl IntoIterator<Item = ProductId>,
        disabled: &[ServicePlanRef],
    ) -> ServiceSet {
        let mut set = 0;
        for sku in licenses.into_iter().filter_map(|p| products.as_sku(p)) {
            for &(plan, mask) in &self.per_sku[sku as usize] {
                if !disabled.contains(&ServicePlanRef::Known(plan)) {
                    set |= mask;
                }
            }
        }
        ServiceSet(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{Lookup, lookup};

    fn product(c: &Catalog, name: &str) -> ProductId {
        match lookup(c, name) {
            Lookup::Sku(s) => ProductId::sku(s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn business_standard_to_apps_for_business_loses_four_services() {
        let c = Catalog::builtin().unwrap();
        let (s, products) = (DataServices::new(&c), Products::new(&c));
        let before = s.of(&products, [product(&c, "O365_BUSINESS_PREMIUM")], &[]);
        let after = s.of(&products, [product(&c, "O365_BUSINESS")], &[]);
        assert_eq!(
            before.lost_in(after).join(),
            "mailbox;sharepoint;teams;viva-engage"
        );
    }

    #[test]
    fn business_standard_to_e3_is_no_downgrade() {
        let c = Catalog::builtin().unwrap();
        let (s, products) = (DataServices::new(&c), Products::new(&c));
        let before = s.of(&products, [product(&c, "O365_BUSINESS_PREMIUM")], &[]);
        let after = s.of(&products, [product(&c, "SPE_E3")], &[]);
        assert!(before.lost_in(after).is_empty());
    }

    #[test]
    fn a_disabled_plan_provides_nothing() {
        let c = Catalog::builtin().unwrap();
        let (s, products) = (DataServices::new(&c), Products::new(&c));
        let spb = product(&c, "SPB");
        let off = [ServicePlanRef::Known(
            service_plan(&c, "EXCHANGE_S_STANDARD").unwrap(),
        )];
        let lost = s
            .of(&products, [spb], &[])
            .lost_in(s.of(&products, [spb], &off));
        assert_eq!(lost.join(), "mailbox");
    }
}
