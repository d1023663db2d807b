//! SPEC.md report.html: its ten sections in order, its figures and tables the same
//! as summary.json's and the CSVs', escaping, no script nor outside resource, a
//! bounded size, and the same bytes whatever the thread count.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

use crate::samples::sample;
use crate::util::{Case, Outcome, PLAN, REPLAN, SUBS, USERS};

/// The section anchors, in SPEC's order.
const SECTIONS: [&str; 10] = [
    "summary",
    "key-figures",
    "outcome",
    "subscriptions",
    "errors",
    "backup",
    "warnings",
    "moves",
    "applying",
    "audit",
];

/// report.html, parsed.
struct Page {
    html: Html,
    text: String,
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"))
}

/// An element's text, white space collapsed.
fn text(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number as the report prints it (grouped with `,`).
fn number(s: &str) -> u64 {
    s.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

impl Page {
    fn of(out: &Outcome) -> Page {
        let text = out.report().to_string();
        Page {
            html: Html::parse_document(&text),
            text,
        }
    }

    fn all(&self, css: &str) -> Vec<ElementRef<'_>> {
        self.html.select(&sel(css)).collect()
    }

    fn one(&self, css: &str) -> ElementRef<'_> {
        let found = self.all(css);
        assert_eq!(
            found.len(),
            1,
            "{css}: {} found\n{}",
            found.len(),
            self.text
        );
        found[0]
    }

    fn has(&self, css: &str) -> bool {
        !self.all(css).is_empty()
    }

    fn figure(&self, name: &str) -> u64 {
        number(&text(self.one(&format!("dd[data-figure='{name}']"))))
    }

    /// The body rows of table `#id`, each cell's text.
    fn rows(&self, id: &str) -> Vec<Vec<String>> {
        let table = self.one(&format!("table#{id}"));
        table
            .select(&sel("tbody tr"))
            .map(|tr| tr.select(&sel("th, td")).map(text).collect())
            .collect()
    }
}

/// Every figure and table of the report that summary.json or a CSV also holds.
#[track_caller]
fn assert_agrees(out: &Outcome) {
    let page = Page::of(out);
    let summary = out.summary();
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    // The ten sections, in order, each once.
    let ids: Vec<String> = page
        .all("header[id], h2[id]")
        .iter()
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(ids, SECTIONS, "sections");
    // Section 1: the organizations, the exit code, and that nothing changed.
    let header = text(page.one("header"));
    assert!(
        header.contains(&format!("(exit code {})", out.code)),
        "{header}"
    );
    assert!(
        header.contains("This run changed nothing in Microsoft 365"),
        "{header}"
    );
    for org in summary["organizations"].as_object().unwrap().keys() {
        if !org.is_empty() {
            assert!(header.contains(org.as_str()), "{org} not in {header}");
        }
    }
    // Section 2: key figures.
    assert_eq!(page.figure("planned"), count(&summary["planned"]));
    for status in ["reassigned", "unchanged"] {
        assert_eq!(page.figure(status), count(&summary["status"][status]));
    }
    assert_eq!(page.figure("error"), count(&summary["status"]["error"]));
    let actions = out.actions();
    let sum = |col: &str| actions.column(col).iter().map(|n| number(n)).sum::<u64>();
    assert_eq!(page.figure("licenses-to-remove"), sum("licenses_to_remove"));
    assert_eq!(page.figure("licenses-to-buy"), sum("licenses_to_buy"));
    assert_eq!(
        page.figure("subscriptions-to-cancel"),
        count(&summary["actions"]["cancel-subscription"])
    );
    assert_eq!(page.figure("users-to-back-up"), out.backup().len() as u64);
    // Section 3: one bar per organization (fewer than 20 here), the same counts.
    let mut charted = BTreeMap::new();
    for row in page.rows("outcome-table") {
        let name = if row[0] == "(no known organization)" {
            ""
        } else {
            &row[0]
        };
        let n: Vec<u64> = row[2..].iter().map(|c| number(c)).collect();
        assert_eq!(n[0] + n[1] + n[2], n[3], "{row:?}");
        charted.insert(
            name.to_string(),
            json!({"reassigned": n[0], "unchanged": n[1], "error": n[2]}),
        );
    }
    let organizations: BTreeMap<String, Value> = summary["organizations"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(charted, organizations, "outcome per organization");
    // Section 4: a row per pool of subscription-actions.csv, in its order.
    let pools: Vec<ElementRef> = page.all("table#pools tbody tr");
    assert_eq!(pools.len(), actions.len(), "pools");
    for (tr, row) in pools.iter().zip(&actions.rows) {
        let get = |col: &str| row[actions.col(col)].as_str();
        assert_eq!(
            tr.value().attr("data-pool").unwrap(),
            format!("{}/{}", get("organization"), get("product"))
        );
        let action = tr.select(&sel("[data-action]")).next().unwrap();
        assert_eq!(action.value().attr("data-action"), Some(get("action")));
        let cells: Vec<String> = tr.select(&sel("td")).map(text).collect();
        let seats = &cells[2];
        for (label, col) in [
            ("Total", "total"),
            ("Assigned now", "assigned_before"),
            ("Assigned after", "assigned_after"),
        ] {
            assert!(
                seats.contains(&format!("{label} {}", get(col))),
                "{seats} lacks {label} {}",
                get(col)
            );
        }
        assert_eq!(cells[4], get("licenses_to_remove"));
        assert_eq!(cells[5], get("licenses_to_buy"));
    }
    // Sections 5 and 7: each code with its count; error codes on error rows only.
    let result = out.result();
    let mut on_errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut on_others: BTreeMap<String, u64> = BTreeMap::new();
    for row in &result.rows {
        let map = if row[result.col("status")] == "error" {
            &mut on_errors
        } else {
            &mut on_others
        };
        for code in row[result.col("codes")]
            .split(';')
            .filter(|c| !c.is_empty())
        {
            *map.entry(code.to_string()).or_default() += 1;
        }
    }
    let table = |id: &str| -> BTreeMap<String, u64> {
        if !page.has(&format!("table#{id}")) {
            return BTreeMap::new();
        }
        page.rows(id)
            .into_iter()
            .map(|r| (r[0].clone(), number(&r[1])))
            .collect()
    };
    assert_eq!(table("error-codes"), on_errors, "errors to fix");
    assert_eq!(table("warning-codes"), on_others, "warnings");
    // Section 6: the users of backup.csv, first ten, in order.
    let backup = out.backup();
    if backup.len() > 0 {
        let listed: Vec<String> = page
            .all("section[aria-labelledby='backup'] ul.users > li:not(.more)")
            .into_iter()
            .map(|li| li.text().next().unwrap().trim().to_string())
            .collect();
        let expected: Vec<&str> = backup.column("user").into_iter().take(10).collect();
        assert_eq!(listed, expected, "back up first");
    }
    // Section 7: the unmatched `*` rows.
    let unmatched: Vec<u64> = summary["unmatched_plan_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(count)
        .collect();
    if !unmatched.is_empty() {
        let p = text(page.one("#unmatched"));
        for line in unmatched {
            assert!(p.contains(&line.to_string()), "{p}");
        }
    }
    // Section 7: the unknown licenses, most held first.
    let unknown: Vec<(String, u64)> = summary["unknown_licenses"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), count(v)))
        .collect();
    if unknown.is_empty() {
        assert!(!page.has("table#unknown-licenses"));
    } else {
        let mut shown: Vec<(String, u64)> = page
            .rows("unknown-licenses")
            .into_iter()
            .map(|r| (r[0].clone(), number(&r[1])))
            .collect();
        let mut expected = unknown.clone();
        expected.truncate(20);
        // summary.json's object is read back sorted: compare as sets.
        shown.sort();
        expected.sort();
        assert_eq!(shown, expected, "unknown licenses");
    }
    // Section 8: every reassigned user in one move.
    let moved: u64 = page.rows("moves-table").iter().map(|r| number(&r[3])).sum();
    assert_eq!(moved, count(&summary["status"]["reassigned"]), "moves");
    // Section 9: graph-requests.jsonl's lines per organization, and the skipped.
    let graph = &summary["graph"];
    let applying = text(page.one("section[aria-labelledby='applying']"));
    let requests = count(&graph["requests"]);
    let said = format!("{requests} Graph request");
    assert!(applying.contains(&said), "{said} not in {applying}");
    let per_org: BTreeMap<String, u64> = if page.has("table#requests") {
        page.rows("requests")
            .into_iter()
            .map(|r| {
                let command = format!("replan apply {}", out.args[3]);
                assert!(r[2].starts_with(&command), "{r:?}");
                assert!(r[2].contains("--organization"), "{r:?}");
                (r[0].clone(), number(&r[1]))
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    let expected: BTreeMap<String, u64> = graph["organizations"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), count(v)))
        .collect();
    assert_eq!(per_org, expected, "requests per organization");
    let skipped: Vec<u64> = graph["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(count)
        .collect();
    if skipped.is_empty() {
        assert!(!page.has("#skipped"));
    } else {
        let p = text(page.one("#skipped"));
        for line in skipped.iter().take(10) {
            assert!(p.contains(&line.to_string()), "{p}");
        }
    }
    // Section 10: what summary.json `audit` holds, but the report's own entry.
    let audit = &summary["audit"];
    let run = text(page.one("table#audit-run"));
    assert!(run.contains(audit["started"].as_str().unwrap()), "{run}");
    assert!(
        run.contains(audit["catalog"]["sha256"].as_str().unwrap()),
        "{run}"
    );
    let inputs = page.rows("audit-inputs");
    let expected = audit["inputs"].as_object().unwrap();
    assert_eq!(inputs.len(), expected.len());
    for row in &inputs {
        let (file, _) = row[0].split_once(' ').unwrap();
        let entry = &expected[file];
        assert!(row[0].ends_with(entry["path"].as_str().unwrap()), "{row:?}");
        assert_eq!(number(&row[1]), count(&entry["rows"]), "{row:?}");
        assert_eq!(number(&row[2]), count(&entry["bytes"]), "{row:?}");
        assert_eq!(row[3], entry["sha256"].as_str().unwrap());
    }
    let outputs = page.rows("audit-outputs");
    let written = audit["outputs"].as_object().unwrap();
    assert_eq!(outputs.len() + 1, written.len(), "all but report.html");
    for row in &outputs {
        let entry = &written[row[0].as_str()];
        assert_eq!(number(&row[1]), count(&entry["bytes"]), "{row:?}");
        assert_eq!(row[2], entry["sha256"].as_str().unwrap());
    }
    assert!(written.contains_key("report.html"));
    assert_self_contained(&page);
}

/// No script, no outside resource, links only within the report or to the files
/// beside it, and the Content-Security-Policy that forbids loading anything.
#[track_caller]
fn assert_self_contained(page: &Page) {
    assert!(!page.text.to_lowercase().contains("<script"), "a script");
    let csp = page.one("meta[http-equiv='Content-Security-Policy']");
    let policy = csp.value().attr("content").unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(!policy.contains("http"), "{policy}");
    let beside = [
        "result.csv",
        "subscription-actions.csv",
        "backup.csv",
        "graph-requests.jsonl",
        "summary.json",
    ];
    for e in page.all("[href], [src], [srcset], [action], [formaction], [data], [poster]") {
        for (name, value) in e.value().attrs() {
            if ![
                "href",
                "src",
                "srcset",
                "action",
                "formaction",
                "data",
                "poster",
            ]
            .contains(&name)
            {
                continue;
            }
            let ok = value.starts_with('#')
                || beside.contains(&value)
                || (name == "href" && value == "data:," && e.value().name() == "link");
            assert!(ok, "{name}={value:?} on <{}>", e.value().name());
        }
    }
    for banned in [
        "iframe", "object", "embed", "img", "form", "base", "audio", "video",
    ] {
        assert!(!page.has(banned), "<{banned}>");
    }
    assert!(!page.text.contains("url("), "a CSS url()");
    assert!(!page.text.contains("@import"), "a CSS @import");
}

#[test]
fn partner_sample_report_agrees_with_summary_and_csvs() {
    let out = sample("partner", &[]);
    out.assert_exit(1);
    assert_agrees(&out);
    let page = Page::of(&out);
    // Users in lists appear as in result.csv, at most ten.
    let errors = text(page.one("section[aria-labelledby='errors']"));
    assert!(errors.contains("OmarH@tailspintoys.com"), "{errors}");
    assert!(
        errors.contains("Microsoft 365 Buisness Premium"),
        "{errors}"
    );
    // Its prices.csv: two currencies, one pool without a price.
    assert_costs_agree(&out);
    assert_eq!(costs(&page).len(), 2);
}

#[test]
fn contoso_sample_report_agrees_with_summary_and_csvs() {
    let out = sample("contoso", &[]);
    assert_agrees(&out);
    let out = sample("contoso", &["--strict"]);
    assert_agrees(&out);
}

/// The tenant of tests/integration/prices.rs: two organizations, each leaving
/// O365_BUSINESS_PREMIUM (5 seats: cancelled) for SPB (5 seats, 3 after).
fn priced(prices: &[&str]) -> Outcome {
    let case = crate::prices::tenant();
    let case = if prices.is_empty() {
        case
    } else {
        case.lines("prices.csv", prices)
    };
    let out = case.run(&[]);
    out.assert_exit(0);
    assert_agrees(&out);
    out
}

/// The costs table, currency → (now, after, change) as shown.
fn costs(page: &Page) -> BTreeMap<String, (String, String, String)> {
    page.rows("costs")
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone(), r[3].clone())))
        .collect()
}

/// The amount summary.json gives, as the report prints it: grouped, with a true
/// minus sign, and the currency's code.
fn shown(amount: &str, currency: &str) -> String {
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(d) => ("−", d),
        None => ("", amount),
    };
    let (whole, decimals) = digits.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let code = if currency.is_empty() {
        " (no currency named)".to_string()
    } else {
        format!(" {currency}")
    };
    format!("{sign}{grouped}.{decimals}{code}")
}

#[track_caller]
fn assert_costs_agree(out: &Outcome) {
    let page = Page::of(out);
    let summary = out.summary();
    let mut expected = BTreeMap::new();
    for (currency, totals) in summary["costs"].as_object().unwrap() {
        if currency == "unpriced" {
            continue;
        }
        let label = if currency.is_empty() {
            "no currency named".to_string()
        } else {
            currency.clone()
        };
        let amount = |k: &str| shown(totals[k].as_str().unwrap(), currency);
        expected.insert(label, (amount("before"), amount("after"), amount("change")));
    }
    assert_eq!(costs(&page), expected);
    // Every pool without a price says so, and is named under the costs.
    let unpriced = summary["costs"]["unpriced"].as_array().unwrap();
    for pool in unpriced {
        let pool = pool.as_str().unwrap();
        let tr = page.one(&format!("table#pools tr[data-pool='{pool}']"));
        let cells: Vec<String> = tr.select(&sel("td")).map(text).collect();
        assert_eq!(cells.last().unwrap(), "no price", "{pool}");
        assert!(text(page.one("#unpriced")).contains(pool), "{pool}");
    }
    if unpriced.is_empty() {
        assert!(!page.has("#unpriced"));
    }
}

#[test]
fn costs_priced_in_one_currency() {
    let out = priced(&[
        "Product,Price,Currency",
        "O365_BUSINESS_PREMIUM,1234.5,EUR",
        "SPB,22.125,EUR",
    ]);
    assert_costs_agree(&out);
    let page = Page::of(&out);
    // 2 × (5 × 1234.5 + 5 × 22.125) = 12,566.25 now; 2 × 3 × 22.125 = 132.75 after.
    assert_eq!(
        costs(&page)["EUR"],
        (
            "12,566.25 EUR".to_string(),
            "132.75 EUR".to_string(),
            "−12,433.50 EUR".to_string()
        )
    );
    let pool = page.one("tr[data-pool='contoso.com/SPB']");
    assert!(text(pool).contains("−44.25 EUR"), "{}", text(pool));
}

#[test]
fn costs_unpriced_pools_show_no_price_never_zero() {
    let out = priced(&["Product,Price", "SPB,22"]);
    assert_costs_agree(&out);
    let page = Page::of(&out);
    for tr in page.all("table#pools tbody tr") {
        let cost = text(tr.select(&sel("td")).last().unwrap());
        assert!(!cost.starts_with("0.00"), "{cost}");
    }
    // Without prices.csv at all: no cost column, no costs table.
    let out = priced(&[]);
    let page = Page::of(&out);
    assert!(!page.has("table#costs"));
    assert!(!text(page.one("table#pools")).contains("no price"));
}

#[test]
fn costs_in_two_currencies_and_per_organization() {
    let out = priced(&[
        "SkuPartNumber,Price,Currency,Organization",
        "O365_BUSINESS_PREMIUM,12.5,EUR,",
        "SPB,22,EUR,",
        "SPB,20.0125,USD,fabrikam.com",
    ]);
    assert_costs_agree(&out);
    let page = Page::of(&out);
    let table = costs(&page);
    assert_eq!(table.len(), 2);
    assert_eq!(table["USD"].0, "100.0625 USD");
    let fabrikam = text(page.one("tr[data-pool='fabrikam.com/SPB']"));
    assert!(fabrikam.contains("−40.025 USD"), "{fabrikam}");
}

#[test]
fn user_organization_and_product_texts_are_escaped() {
    let nasty_org = r#"Contoso <b>&amp; "Sons" 'Ltd'</b>"#;
    let case = Case::new()
        .users(&[
            USERS,
            // Sign-in blocked: listed under Warnings.
            r#""o'neil<i>&""x""@contoso.com",US,true,O365_BUSINESS_PREMIUM,,"#,
            r#""bob@contoso.com",US,,"O365_BUSINESS_PREMIUM+Trial <script>alert('&')</script>",,"#,
        ])
        .subscriptions(&[
            SUBS,
            &format!(
                "\"{}\",O365_BUSINESS_PREMIUM,Active,5,2",
                nasty_org.replace('"', "\"\"")
            ),
            &format!("\"{}\",SPB,Active,5,1", nasty_org.replace('"', "\"\"")),
            &format!(
                "\"{}\",\"Trial <script>alert('&')</script>\",Active,5,1",
                nasty_org.replace('"', "\"\"")
            ),
        ])
        .domains(&[
            "Organization,Domain",
            &format!("\"{}\",contoso.com", nasty_org.replace('"', "\"\"")),
        ])
        .plan(&[
            PLAN,
            r#""o'neil<i>&""x""@contoso.com",O365_BUSINESS_PREMIUM,SPB,,,"#,
            "bob@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,replace-all",
            r#"carol@contoso.com,O365_BUSINESS_PREMIUM,"<img src=x onerror=alert(1)>",,,"#,
        ]);
    let out = case.run(&[]);
    out.assert_exit(1);
    assert_agrees(&out);
    let page = Page::of(&out);
    let raw = &page.text;
    for markup in ["<b>", "<i>", "<img", "<script"] {
        assert!(!raw.contains(markup), "{markup} written unescaped");
    }
    assert!(
        raw.contains("&lt;script&gt;") && raw.contains("&amp;amp;"),
        "not escaped"
    );
    // Read back, each text is what the files said.
    let all = text(page.html.root_element());
    assert!(all.contains(nasty_org), "{all}");
    assert!(all.contains(r#"o'neil<i>&"x"@contoso.com"#), "{all}");
    assert!(all.contains("Trial <script>alert('&')</script>"), "{all}");
    assert!(all.contains("<img src=x onerror=alert(1)>"), "{all}");
    // In attributes too: the pool's data attribute holds the organization.
    assert!(page.has("tr[data-pool]"));
    assert!(
        page.all("tr[data-pool]").iter().all(|tr| tr
            .value()
            .attr("data-pool")
            .unwrap()
            .starts_with(nasty_org))
    );
}

/// With SOURCE_DATE_EPOCH, the report is the same bytes at --threads 1 and 2 but
/// for the command it shows, and it shows no elapsed time.
#[test]
fn reproducible_whatever_the_thread_count() {
    let dir = format!("{}/samples/partner", env!("CARGO_MANIFEST_DIR"));
    let case = Case::new();
    let mut reports = Vec::new();
    for threads in ["1", "2"] {
        let status = Command::new(REPLAN)
            .args(["run", &dir, "--out", "out", "--quiet", "--threads", threads])
            .current_dir(case.root())
            .env("SOURCE_DATE_EPOCH", "1764840600")
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
        reports.push(fs::read_to_string(case.out().join("report.html")).unwrap());
    }
    assert!(reports[0].contains("--threads 1") && !reports[0].contains("Elapsed"));
    assert!(reports[0].contains("2025-12-04T09:30:00Z"));
    assert_eq!(reports[0].replace("--threads 1", "--threads 2"), reports[1]);
}

#[test]
fn bounded_on_a_hundred_thousand_users() {
    let case = Case::new();
    let generated = Command::new(REPLAN)
        .args([
            "generate",
            "--users",
            "100000",
            "--organizations",
            "40",
            "--seed",
            "3",
            "--out",
            "in",
        ])
        .current_dir(case.root())
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let out = case.run(&[]);
    let bytes = out.report().len();
    assert!(bytes < 400 * 1024, "report.html is {bytes} bytes");
    let page = Page::of(&out);
    let summary = out.summary();
    assert!(summary["planned"].as_u64().unwrap() > 10_000);
    // Every list of users: at most ten, then how many more result.csv holds.
    let lists = page.all("ul.users");
    assert!(!lists.is_empty());
    let mut listed_more = false;
    for list in lists {
        let shown = list.select(&sel("li:not(.more)")).count();
        assert!(shown <= 10, "{shown} users in a list");
        if let Some(more) = list.select(&sel("li.more")).next() {
            let more = text(more);
            assert!(
                shown == 10 && more.ends_with("more in result.csv"),
                "{more}"
            );
            listed_more = true;
        }
    }
    assert!(listed_more, "no list long enough to be cut");
    // 40 organizations (and users of none): 20 bars, then one for the others.
    let organizations = summary["organizations"].as_object().unwrap().len();
    assert!(organizations > 20);
    let bars = page.rows("outcome-table");
    assert_eq!(bars.len(), 21);
    assert_eq!(
        bars[20][0],
        format!("{} other organizations", organizations - 20)
    );
    let planned: u64 = bars.iter().map(|r| number(&r[5])).sum();
    assert_eq!(planned, summary["planned"].as_u64().unwrap());
    // The pools listed are those of subscription-actions.csv, at most 100.
    let actions = out.actions().len();
    let pools = page.all("table#pools tbody tr").len();
    assert_eq!(pools, actions.min(100));
    assert_self_contained(&page);
}
