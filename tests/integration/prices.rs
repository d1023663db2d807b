//! SPEC.md "prices.csv" and summary.json `costs`: accepted names, exact decimals,
//! per-organization prices, currencies never added together, pools without a price
//! listed (never counted as 0), and bad prices refused with nothing written.

use serde_json::json;

use crate::util::{Case, PLAN, SUBS, USERS};

/// Two organizations; in each, two users leave O365_BUSINESS_PREMIUM (5 seats, 2
/// assigned: cancelled, 5 to remove) for SPB (5 seats, 1 assigned: 3 after, 2 to
/// remove).
pub fn tenant() -> Case {
    Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "isaiah@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "ben@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "lee@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Active,5,1",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "fabrikam.com,SPB,Active,5,1",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
}

#[test]
fn without_prices_costs_is_empty() {
    let out = tenant().run(&[]);
    out.assert_exit(0);
    assert_eq!(out.summary()["costs"], json!({}));
    assert!(out.summary()["inputs"].get("prices").is_none());
}

#[test]
fn costs_are_exact_sums_over_the_pools_of_subscription_actions() {
    let out = tenant()
        .lines(
            "prices.csv",
            &[
                "Product,Price,Currency",
                // By display name and by SKU part number; 0.1 and 0.2 are not exact in
                // binary floating point.
                "Microsoft 365 Business Standard,12.1,EUR",
                "SPB,22.2,eur",
            ],
        )
        .run(&[]);
    out.assert_exit(0);
    out.action("contoso.com", "O365_BUSINESS_PREMIUM").check(&[
        ("action", "cancel-subscription"),
        ("licenses_to_remove", "5"),
    ]);
    out.action("contoso.com", "SPB")
        .check(&[("action", "remove-licenses"), ("licenses_to_remove", "2")]);
    // before: 2 × (5 × 12.1 + 5 × 22.2) = 343; after: 2 × (0 + 3 × 22.2) = 133.2.
    assert_eq!(
        out.summary()["costs"],
        json!({
            "EUR": {"before": "343.00", "after": "133.20", "change": "-209.80"},
            "unpriced": []
        })
    );
    assert_eq!(out.summary()["inputs"]["prices"], json!(2));
}

#[test]
fn per_organization_prices_win_and_currencies_are_never_added() {
    let out = tenant()
        .lines(
            "prices.csv",
            &[
                "SkuPartNumber,DisplayName,Price,Currency,Organization",
                "O365_BUSINESS_PREMIUM,Microsoft 365 Business Standard,12.5,EUR,",
                "SPB,Microsoft 365 Business Premium,22,EUR,",
                // Fabrikam pays in dollars, named by its domain.
                "SPB,Microsoft 365 Business Premium,20.0125,USD,fabrikam.com",
            ],
        )
        .run(&[]);
    out.assert_exit(0);
    // EUR: contoso both pools (62.5 + 110 → 66) and fabrikam's O365_BUSINESS_PREMIUM
    // (62.5 → 0); USD: fabrikam's SPB alone (5 × 20.0125 → 3 × 20.0125).
    assert_eq!(
        out.summary()["costs"],
        json!({
            "EUR": {"before": "235.00", "after": "66.00", "change": "-169.00"},
            "USD": {"before": "100.0625", "after": "60.0375", "change": "-40.025"},
            "unpriced": []
        })
    );
}

#[test]
fn a_pool_without_a_price_is_listed_not_counted_as_zero() {
    let out = tenant()
        .lines(
            "prices.csv",
            &["Product,Price,Organization", "SPB,22,contoso.com"],
        )
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(
        out.summary()["costs"],
        json!({
            "": {"before": "110.00", "after": "66.00", "change": "-44.00"},
            "unpriced": [
                "contoso.com/O365_BUSINESS_PREMIUM",
                "fabrikam.com/O365_BUSINESS_PREMIUM",
                "fabrikam.com/SPB"
            ]
        })
    );
}

#[test]
fn admindroid_cost_template_reads_as_it_is() {
    // `SkuId,License Name,Cost`, placeholders where no cost was filled in, and
    // products this tenant does not have.
    let out = tenant()
        .lines(
            "prices.csv",
            &[
                "SkuId,License Name,Cost",
                "-,-,_",
                "036c2481-aa8a-47cd-ab43-324f0c157c2d,Dynamics 365 Customer Insights vTrial,_",
                "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,Microsoft 365 Business Premium,22.00",
                "f245ecc8-75af-4f8e-b61f-27d8114de5f3,Microsoft 365 Business Standard,",
                "3b555118-da6a-4418-894f-7df1e2096870,Microsoft 365 Business Basic,6",
            ],
        )
        .run(&[]);
    out.assert_exit(0);
    let costs = &out.summary()["costs"];
    assert_eq!(
        costs[""],
        json!({"before": "220.00", "after": "132.00", "change": "-88.00"})
    );
    assert_eq!(
        costs["unpriced"],
        json!([
            "contoso.com/O365_BUSINESS_PREMIUM",
            "fabrikam.com/O365_BUSINESS_PREMIUM"
        ])
    );
}

#[test]
fn prices_flag_wins_over_the_folders_file() {
    let case = tenant()
        .lines("prices.csv", &["Product,Price", "SPB,not a price"])
        .lines("other-prices.csv", &["Product,Unit price", "SPB,1"]);
    let other = case.input().join("other-prices.csv");
    let out = case.run(&["--prices", other.to_str().unwrap()]);
    out.assert_exit(0);
    assert_eq!(
        out.summary()["costs"]["unpriced"].as_array().unwrap().len(),
        2
    );
    assert_eq!(out.summary()["costs"][""]["before"], json!("10.00"));
}

#[test]
fn a_price_for_an_unknown_organization_is_named_on_stderr() {
    let out = tenant()
        .lines(
            "prices.csv",
            &["Product,Price,Tenant", "SPB,22,", "SPB,20,fabrikom.com"],
        )
        .run(&[]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains("prices.csv:3:3:") && out.stderr.contains("fabrikom.com"),
        "{}",
        out.describe()
    );
    // The shared price applies to both organizations.
    assert_eq!(out.summary()["costs"][""]["before"], json!("220.00"));
}

/// Each bad prices.csv: exit 2, the message names file, line and column, and no
/// output is written (by `run`; `check` refuses it too).
#[test]
fn bad_prices_are_unusable_input() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["Product,Price", "SPB,12,5"], "prices.csv:2:3:", "fields"),
        (&["Product,Price", "SPB,1,000"], "prices.csv:2:3:", "fields"),
        (
            &["Product,Price", "SPB,\"1,5\""],
            "prices.csv:2:2:",
            "not a price",
        ),
        (
            &["Product,Price", "SPB,12.34567"],
            "prices.csv:2:2:",
            "4 decimals",
        ),
        (
            &["Product,Price", "SPB,-3"],
            "prices.csv:2:2:",
            "not a price",
        ),
        (
            &["Product,Price", "SPB,€12"],
            "prices.csv:2:2:",
            "not a price",
        ),
        (
            &["Product,Price", "SPB,1e3"],
            "prices.csv:2:2:",
            "not a price",
        ),
        (
            &["Product,Cost,Currency", "SPB,3,EURO"],
            "prices.csv:2:3:",
            "currency",
        ),
        (&["Product,Price", ",3"], "prices.csv:2:1:", "empty"),
        (&["Product,Currency", "SPB,EUR"], "prices.csv:1:1:", "Price"),
        (
            &["Product,Price", "SPB,3", "Microsoft 365 Business Premium,4"],
            "prices.csv:3:1:",
            "line 2",
        ),
        (
            &[
                "Product,Price,Organization",
                "SPB,3,contoso.com",
                "spb,4,CONTOSO.COM",
            ],
            "prices.csv:3:1:",
            "line 2",
        ),
        (
            &["Product,Price", "Microsoft 365 Business Basic,3"],
            "prices.csv:2:1:",
            "O365_BUSINESS_ESSENTIALS",
        ),
    ];
    for (lines, place, words) in cases {
        let case = tenant().lines("prices.csv", lines);
        let out = case.run(&[]);
        out.assert_exit(2);
        assert!(
            out.stderr.contains(place) && out.stderr.contains(words),
            "expected {place} … {words}\n{}",
            out.describe()
        );
        assert!(out.wrote_nothing(), "{}", out.describe());
        case.check(&[]).assert_exit(2);
    }
}
