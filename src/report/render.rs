//! report.html from [`Figures`]: a pure function, one self-contained page (no
//! script, no outside resource, a Content-Security-Policy that forbids loading
//! any), printable, in SPEC's ten sections.
//!
//! The page is written with maud: its `html!` templates are checked when replan
//! compiles, and every text put into them is escaped (user names, organizations
//! and product names come from the customer's files).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::codes::Code;
use crate::count::ActionKind;
use crate::money::group_digits;
use crate::report::figures::{
    Applying, CodeLine, Figures, Listed, Money, OrgOutcome, PoolLine, UserLine,
};

/// Nothing may be loaded: no script, no font, no image, no frame; only the
/// page's own styles (inline: there is no file to load them from).
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = include_str!("style.css");

/// The sections, in SPEC's order: anchor and heading.
pub const SECTIONS: [(&str, &str); 10] = [
    ("summary", "Summary"),
    ("key-figures", "Key figures"),
    ("outcome", "Outcome per organization"),
    ("subscriptions", "Subscriptions"),
    ("errors", "Errors to fix"),
    ("backup", "Back up first"),
    ("warnings", "Warnings"),
    ("moves", "Moves"),
    ("applying", "Applying"),
    ("audit", "Audit trail"),
];

/// The whole page.
pub fn render(f: &Figures) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "replan: license plan change report" }
                // No request for a favicon either.
                link rel="icon" href="data:,";
                style { (PreEscaped(STYLE)) }
            }
            body {
                (title(f))
                main {
                    (key_figures(f))
                    (outcome(f))
                    (subscriptions(f))
                    (errors(f))
                    (backup(f))
                    (warnings(f))
                    (moves(f))
                    (applying(f))
                    (audit(f))
                }
                footer {
                    "Written by replan " (f.audit.version) " from the exports listed in the audit trail. "
                    "The files beside this report: "
                    a href="result.csv" { "result.csv" } ", "
                    a href="subscription-actions.csv" { "subscription-actions.csv" } ", "
                    a href="backup.csv" { "backup.csv" } ", "
                    a href="graph-requests.jsonl" { "graph-requests.jsonl" } ", "
                    a href="summary.json" { "summary.json" } "."
                }
            }
        }
    };
    page.into_string()
}

fn heading(n: usize) -> Markup {
    let (id, text) = SECTIONS[n - 1];
    html! { h2 id=(id) { (text) } }
}

/// A count, grouped by thousands.
fn num(n: u64) -> String {
    group_digits(&n.to_string())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

/// An amount with every decimal of summary.json and its currency's ISO code.
fn money(m: &Money) -> Markup {
    let (sign, digits) = match m.amount.strip_prefix('-') {
        Some(rest) => ("−", rest),
        None => ("", m.amount.as_str()),
    };
    let (whole, decimals) = digits.split_once('.').unwrap_or((digits, ""));
    html! {
        span.amount {
            (sign) (group_digits(whole)) "." (decimals)
            @if m.currency.is_empty() { " (no currency named)" } @else { " " (m.currency) }
        }
    }
}

/// Width of `part` in a bar whose full length is `whole`, as a CSS percentage
/// (integer arithmetic: the same bytes on every machine).
fn share(part: u64, whole: u64) -> String {
    let per_mille = if whole == 0 {
        0
    } else {
        (u128::from(part) * 1000 / u128::from(whole)) as u64
    };
    format!("width:{}.{}%", per_mille / 10, per_mille % 10)
}

fn title(f: &Figures) -> Markup {
    let o = &f.outcome;
    let (class, verdict) = verdict(f);
    html! {
        header id=(SECTIONS[0].0) {
            p.kicker { "Microsoft 365 license plan change · audit report" }
            h1 { "License plan change report" }
            p.orgs {
                @if f.organizations.shown.is_empty() {
                    "No organization"
                } @else {
                    (f.organizations.shown.join(", "))
                    @if f.organizations.more > 0 {
                        ", and " (num(f.organizations.more)) " more"
                    }
                }
            }
            p.meta { "Started " (f.audit.started) " · " (plural(o.planned(), "planned user", "planned users")) }
            div class=(format!("verdict {class}")) {
                strong { (verdict) " (exit code " (f.exit_code) ")." }
                p.nochange {
                    "This run changed nothing in Microsoft 365: it read exports and wrote files. "
                    "Licenses change only when " code { "replan apply" } " sends the Graph requests (see Applying)."
                }
            }
            nav aria-label="Sections" {
                ul {
                    @for (id, text) in &SECTIONS[1..] {
                        li { a href=(format!("#{id}")) { (text) } }
                    }
                }
            }
        }
    }
}

/// The one-line verdict and its tone.
fn verdict(f: &Figures) -> (&'static str, String) {
    let o = &f.outcome;
    let warned = f.warnings.iter().map(|w| w.users.total()).sum::<u64>();
    if o.error > 0 {
        (
            "error",
            format!(
                "{} of {} planned users need a fix before they can move",
                num(o.error),
                num(o.planned())
            ),
        )
    } else if f.exit_code != 0 {
        (
            "warning",
            "Every planned user can move, but --strict counts the warnings below as errors"
                .to_string(),
        )
    } else if warned > 0 || !f.unmatched_plan_rows.shown.is_empty() {
        (
            "warning",
            format!(
                "Every planned user is reassigned or already done; {} to read",
                plural(
                    warned + f.unmatched_plan_rows.total(),
                    "warning",
                    "warnings"
                )
            ),
        )
    } else {
        (
            "ok",
            "Every planned user is reassigned or already done".to_string(),
        )
    }
}

fn key_figures(f: &Figures) -> Markup {
    let o = &f.outcome;
    let users: [(&str, &str, u64); 4] = [
        ("planned", "Planned", o.planned()),
        ("reassigned", "Reassigned", o.reassigned),
        ("unchanged", "Unchanged (already done)", o.unchanged),
        ("error", "Errors", o.error),
    ];
    let licenses: [(&str, &str, u64); 4] = [
        (
            "licenses-to-remove",
            "Licenses to remove",
            f.licenses_to_remove,
        ),
        ("licenses-to-buy", "Licenses to buy", f.licenses_to_buy),
        (
            "subscriptions-to-cancel",
            "Subscriptions to cancel",
            f.subscriptions_to_cancel,
        ),
        (
            "users-to-back-up",
            "Users to back up first",
            f.users_to_back_up,
        ),
    ];
    let cards = |title: &str, cards: &[(&str, &str, u64)]| {
        html! {
            div {
                h3 { (title) }
                dl.cards {
                    @for (id, label, value) in cards {
                        div class=(format!("card {id}")) {
                            dt { (label) }
                            dd data-figure=(id) { (num(*value)) }
                        }
                    }
                }
            }
        }
    };
    html! {
        section aria-labelledby=(SECTIONS[1].0) {
            (heading(2))
            div.groups {
                (cards("Users", &users))
                (cards("Subscriptions", &licenses))
            }
            @match &f.costs {
                None => {
                    p.none {
                        "No prices: give a prices.csv to see what the subscriptions cost per month."
                    }
                }
                Some(lines) => {
                    table.narrow #costs {
                        caption { "Monthly cost of the subscriptions in subscription-actions.csv" }
                        thead { tr {
                            th scope="col" { "Currency" }
                            th.num scope="col" { "Now" }
                            th.num scope="col" { "Once the actions are done" }
                            th.num scope="col" { "Change per month" }
                        } }
                        tbody {
                            @for c in lines {
                                tr {
                                    th scope="row" { @if c.currency.is_empty() { "no currency named" } @else { (c.currency) } }
                                    td.num { (money(&Money { amount: c.before.clone(), currency: c.currency.clone() })) }
                                    td.num { (money(&Money { amount: c.after.clone(), currency: c.currency.clone() })) }
                                    td class=(change_class(&c.change)) { (money(&Money { amount: c.change.clone(), currency: c.currency.clone() })) }
                                }
                            }
                            @if lines.is_empty() {
                                tr { td colspan="4" .none { "No subscription of this run has a price." } }
                            }
                        }
                    }
                    @if f.unpriced.total() > 0 {
                        p #unpriced {
                            "No price in prices.csv for " (plural(f.unpriced.total(), "subscription", "subscriptions"))
                            " (not counted above): "
                            (f.unpriced.shown.join(", "))
                            @if f.unpriced.more > 0 { ", and " (num(f.unpriced.more)) " more in summary.json" }
                            "."
                        }
                    }
                    p.note { "Currencies are never added together. Prices are those of prices.csv, per license per month." }
                }
            }
        }
    }
}

fn change_class(amount: &str) -> &'static str {
    if amount.starts_with('-') {
        "num saving"
    } else if amount.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "num cost-up"
    } else {
        "num"
    }
}

fn legend() -> Markup {
    html! {
        ul.legend aria-label="Legend" {
            li { span.key.reassigned {} "reassigned" }
            li { span.key.unchanged {} "unchanged (already done)" }
            li { span.key.error {} "error (to fix)" }
        }
    }
}

fn org_name(bar: &OrgOutcome) -> String {
    match &bar.name {
        Some(name) if name.is_empty() => "(no known organization)".to_string(),
        Some(name) => name.clone(),
        None => format!("{} other organizations", num(bar.others)),
    }
}

fn outcome(f: &Figures) -> Markup {
    // Each bar is its organization's planned users, 100 %: the mix of outcomes
    // reads at a glance whatever the sizes (printed beside it), and the "others"
    // bar does not dwarf the rest.
    html! {
        section aria-labelledby=(SECTIONS[2].0) {
            (heading(3))
            @if f.by_organization.is_empty() {
                p.none { "No user was planned." }
            } @else {
                figure {
                    figcaption { "Planned users per organization: the share of each outcome" }
                    (legend())
                    table #outcome-table {
                        thead { tr {
                            th scope="col" { "Organization" }
                            th scope="col" { "Outcome" }
                            th.num scope="col" { "Reassigned" }
                            th.num scope="col" { "Unchanged" }
                            th.num scope="col" { "Errors" }
                            th.num scope="col" { "Planned" }
                        } }
                        tbody {
                            @for bar in &f.by_organization {
                                @let o = &bar.outcome;
                                tr {
                                    th scope="row" .wrap { (org_name(bar)) }
                                    td.chart aria-hidden="true" {
                                        div.bar {
                                            span.seg.reassigned style=(share(o.reassigned, o.planned())) {}
                                            span.seg.unchanged style=(share(o.unchanged, o.planned())) {}
                                            span.seg.error style=(share(o.error, o.planned())) {}
                                        }
                                    }
                                    td.num { (num(o.reassigned)) }
                                    td.num { (num(o.unchanged)) }
                                    td.num { (num(o.error)) }
                                    td.num { (num(o.planned())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A product on one line: display name and SKU part number.
fn product_inline(pool: &PoolLine) -> Markup {
    html! {
        @match &pool.display_name {
            Some(name) => { (name) " (" code { (pool.product) } ")" }
            None => { code { (pool.product) } }
        }
    }
}

fn product(pool: &PoolLine) -> Markup {
    html! {
        @match &pool.display_name {
            Some(name) => { (name) " " span.sub { code { (pool.product) } } }
            None => { code { (pool.product) } }
        }
    }
}

fn seats(pool: &PoolLine) -> Markup {
    let widest = pool
        .total
        .max(pool.assigned_before)
        .max(pool.assigned_after);
    let rows = [
        ("c-total", "Total", pool.total),
        ("c-before", "Assigned now", pool.assigned_before),
        ("c-after", "Assigned after", pool.assigned_after),
    ];
    html! {
        div.seats {
            @for (class, label, value) in rows {
                span { (label) } " "
                span.track aria-hidden="true" { span class=(format!("fill {class}")) style=(share(value, widest)) {} } " "
                span.v { (num(value)) } " "
            }
        }
    }
}

fn action_text(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::BuyLicenses => "buy licenses",
        ActionKind::CancelSubscription => "cancel subscription",
        ActionKind::RemoveLicenses => "remove licenses",
        ActionKind::Keep => "keep",
    }
}

fn subscriptions(f: &Figures) -> Markup {
    let todo: Vec<&PoolLine> = f
        .pools
        .shown
        .iter()
        .filter(|p| p.action != ActionKind::Keep)
        .collect();
    let priced = f.costs.is_some();
    html! {
        section aria-labelledby=(SECTIONS[3].0) {
            (heading(4))
            @if f.pools.shown.is_empty() {
                p.none { "No subscription is touched by this plan." }
            } @else {
                figure {
                    figcaption { "Seats of each subscription in subscription-actions.csv: total, assigned now, and assigned once the plan is applied" }
                    ul.legend aria-label="Legend" {
                        li { span.key.c-total {} "total" }
                        li { span.key.c-before {} "assigned now" }
                        li { span.key.c-after {} "assigned after" }
                    }
                    table #pools {
                        thead { tr {
                            th scope="col" { "Organization" }
                            th scope="col" { "Product" }
                            th scope="col" { "Seats" }
                            th scope="col" { "Action" }
                            th.num scope="col" { "Remove" }
                            th.num scope="col" { "Buy" }
                            @if priced { th.num scope="col" { "Cost change / month" } }
                        } }
                        tbody {
                            @for pool in &f.pools.shown {
                                tr data-pool=(format!("{}/{}", pool.organization, pool.product)) {
                                    td.wrap { (pool.organization) }
                                    td.wrap.product { (product(pool)) }
                                    td { (seats(pool)) }
                                    td { span class=(format!("tag {}", pool.action.as_str())) data-action=(pool.action.as_str()) { (action_text(pool.action)) } }
                                    td.num { (num(pool.to_remove)) }
                                    td.num { (num(pool.to_buy)) }
                                    @if priced {
                                        @match &pool.cost {
                                            Some(cost) => {
                                                td class=(change_class(&cost.change.amount)) {
                                                    (money(&cost.change))
                                                    span.sub { (money(&cost.before)) " → " (money(&cost.after)) }
                                                }
                                            }
                                            None => { td.num.none { "no price" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if f.pools.more > 0 {
                        p.more { "and " (num(f.pools.more)) " more in subscription-actions.csv" }
                    }
                }
                h3 { "What to do in the admin center" }
                @if todo.is_empty() {
                    p.none { "Nothing to buy, remove or cancel." }
                } @else {
                    ol.todo {
                        @for pool in &todo {
                            li { (step(pool)) }
                        }
                    }
                    p.note {
                        "In the Microsoft 365 admin center: Billing › Your products, then the subscription. "
                        "Seats of an annual commitment go down only at renewal, or within 7 days of purchase or renewal; "
                        "buy before you apply, remove and cancel after."
                    }
                }
            }
        }
    }
}

fn step(pool: &PoolLine) -> Markup {
    html! {
        strong { (pool.organization) } " · " (product_inline(pool)) ": "
        @match pool.action {
            ActionKind::BuyLicenses => { "buy " (plural(pool.to_buy, "license", "licenses")) " before applying. " }
            ActionKind::CancelSubscription => { "cancel the subscription (" (plural(pool.to_remove, "license", "licenses")) ") once the users have moved. " }
            ActionKind::RemoveLicenses => { "remove " (plural(pool.to_remove, "license", "licenses")) " once the users have moved. " }
            ActionKind::Keep => {}
        }
        span.sub { (pool.reason) }
    }
}

/// At most ten users, then how many more result.csv holds.
fn users(list: &Listed<UserLine>, services: bool) -> Markup {
    html! {
        ul.users {
            @for u in &list.shown {
                li {
                    (u.user)
                    span.sub {
                        @if !u.organization.is_empty() { (u.organization) " · " }
                        (u.from) " → " (u.to)
                        @if services { " · loses " (u.services) }
                    }
                }
            }
            @if list.more > 0 {
                li.more { "and " (num(list.more)) " more in " a href="result.csv" { "result.csv" } }
            }
        }
    }
}

/// What to do about a code, in one sentence.
pub fn advice(code: Code, on_error_row: bool) -> &'static str {
    match code {
        Code::DuplicateUser => "Keep one row for the user in plan.csv.",
        Code::AmbiguousPlan => {
            "Two `*` rows give the user different moves: narrow them with Organization, or add a row naming the user."
        }
        Code::UserNotFound => {
            "Correct the user principal name in plan.csv, or export users again if the user is new."
        }
        Code::OrganizationUnknown => {
            "Add the user's domain to domains.csv, under the organization that owns it."
        }
        Code::UnknownProduct => {
            "Name From and To by a product of Microsoft's table (a SKU part number such as SPB), or give a newer table with --catalog."
        }
        Code::AmbiguousProduct => {
            "Name the product by its SKU part number: this display name belongs to several products."
        }
        Code::SourceNotHeld => {
            "The user does not hold From: correct the plan row, or export users again."
        }
        Code::GroupInherited => {
            "From comes through a group: change the group's licenses instead, or take the user out of the group."
        }
        Code::UnknownServicePlan => {
            "Remove from Disable the service plans that To does not contain."
        }
        Code::DowngradeBackupRequired if on_error_row => {
            "Back up the user's data first (see Back up first), then run again without --strict."
        }
        Code::DowngradeBackupRequired => {
            "The user loses a data service: back up their data before applying (see Back up first)."
        }
        Code::TargetNotListed => {
            "Buy To for the user's organization, then export subscriptions again."
        }
        Code::TargetOtherOrganization => {
            "Buy To for the user's own organization: subscriptions cannot cross organization boundaries."
        }
        Code::TargetInactive => {
            "Renew or reactivate the To subscription before moving users onto it."
        }
        Code::MissingUsageLocation => {
            "Set the user's usage location (Users › Active users), then export users again."
        }
        Code::NotEnoughLicenses => {
            "Buy the licenses listed under Subscriptions, or run with --allow-partial to move the first users now."
        }
        Code::SourceInactive => {
            "The From subscription is not listed or not active: check it in the admin center."
        }
        Code::SignInBlocked => {
            "The user's sign-in is blocked: make sure the account should get a license."
        }
    }
}

fn codes(lines: &[CodeLine], on_error_rows: bool) -> Markup {
    let class = if on_error_rows {
        "code code-error"
    } else {
        "code code-warning"
    };
    html! {
        table.codes id=(if on_error_rows { "error-codes" } else { "warning-codes" }) {
            thead { tr {
                th scope="col" { "Code" }
                th.num scope="col" { "Users" }
                th scope="col" { "What to do" }
            } }
            tbody {
                @for line in lines {
                    tr data-code=(line.code.as_str()) {
                        th scope="row" { span class=(class) { (line.code.as_str()) } }
                        td.num { (num(line.users.total())) }
                        td { (advice(line.code, on_error_rows)) }
                    }
                }
            }
        }
        @for line in lines {
            h3 { span class=(class) { (line.code.as_str()) } " · " (plural(line.users.total(), "user", "users")) }
            (users(&line.users, false))
        }
    }
}

fn errors(f: &Figures) -> Markup {
    html! {
        section aria-labelledby=(SECTIONS[4].0) {
            (heading(5))
            @if f.errors.is_empty() {
                p.none { "No errors: nothing to fix." }
            } @else {
                p { "These users keep their licenses as they are until the cause is fixed and replan runs again." }
                (codes(&f.errors, true))
            }
        }
    }
}

fn backup(f: &Figures) -> Markup {
    html! {
        section aria-labelledby=(SECTIONS[5].0) {
            (heading(6))
            @if f.backup_users.total() == 0 {
                p.none { "No user loses a data service: nothing to back up." }
            } @else {
                p {
                    "These users move to a plan with fewer data services (a downgrade): back up their data before "
                    code { "replan apply" } ". The full list is in " a href="backup.csv" { "backup.csv" } "."
                }
                table.narrow #backup-services {
                    thead { tr { th scope="col" { "Data service lost" } th.num scope="col" { "Users" } } }
                    tbody {
                        @for s in &f.backup_services {
                            tr { th scope="row" { (s.service) } td.num { (num(s.users)) } }
                        }
                    }
                }
                (users(&f.backup_users, true))
            }
        }
    }
}

fn warnings(f: &Figures) -> Markup {
    html! {
        section aria-labelledby=(SECTIONS[6].0) {
            (heading(7))
            @if f.warnings.is_empty() {
                p.none { "No reassigned user carries a warning." }
            } @else {
                (codes(&f.warnings, false))
            }
            h3 { "Plan rows that matched nobody" }
            @if f.unmatched_plan_rows.total() == 0 {
                p.none { "Every " code { "*" } " row of plan.csv matched at least one user." }
            } @else {
                p #unmatched {
                    "plan.csv " (if f.unmatched_plan_rows.total() == 1 { "line " } else { "lines " })
                    (f.unmatched_plan_rows.shown.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", "))
                    @if f.unmatched_plan_rows.more > 0 { ", and " (num(f.unmatched_plan_rows.more)) " more in summary.json" }
                    ": a " code { "*" } " row whose From nobody in its scope holds. A misspelled From would look like this."
                }
            }
            h3 { "Unknown licenses" }
            @let list = &f.unknown_licenses;
            @if list.total() == 0 {
                p.none { "Every license in users.csv is a product of the catalog or of subscriptions.csv." }
            } @else {
                {
                    p { "Licenses in users.csv that neither the catalog nor subscriptions.csv knows: a trial, or a product renamed since the catalog (a newer one with --catalog fixes that)." }
                    table #unknown-licenses {
                        thead { tr { th scope="col" { "License as written" } th.num scope="col" { "Users holding it" } } }
                        tbody {
                            @for (text, n) in &list.shown {
                                tr { td.wrap { (text) } td.num { (num(*n)) } }
                            }
                        }
                    }
                    @if list.more > 0 { p.more { "and " (num(list.more)) " more in summary.json" } }
                }
            }
        }
    }
}

fn moves(f: &Figures) -> Markup {
    html! {
        section aria-labelledby=(SECTIONS[7].0) {
            (heading(8))
            @if f.moves.total() == 0 {
                p.none { "No user is reassigned." }
            } @else {
                table #moves-table {
                    thead { tr {
                        th scope="col" { "Organization" }
                        th scope="col" { "From" }
                        th scope="col" { "To" }
                        th.num scope="col" { "Users reassigned" }
                    } }
                    tbody {
                        @for m in &f.moves.shown {
                            tr {
                                td.wrap { @if m.organization.is_empty() { "(no known organization)" } @else { (m.organization) } }
                                td { @if m.from.is_empty() { span.none { "(nothing: an added license)" } } @else { code { (m.from) } } }
                                td { code { (m.to) } }
                                td.num { (num(m.users)) }
                            }
                        }
                    }
                }
                @if f.moves.more > 0 {
                    p.more { "and " (num(f.moves.more)) " more moves in " a href="result.csv" { "result.csv" } }
                }
            }
        }
    }
}

/// `replan apply` for an output folder and an organization, quoted for a shell
/// where needed.
fn apply_command(out: &str, organization: Option<&str>) -> String {
    let mut command = format!("replan apply {}", shell_word(out));
    if let Some(org) = organization {
        command.push_str(" --organization ");
        command.push_str(&shell_word(org));
    }
    command
}

/// A word as a POSIX shell reads it back.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn applying(f: &Figures) -> Markup {
    html! {
        section aria-labelledby=(SECTIONS[8].0) {
            (heading(9))
            (requests(f, &f.applying))
        }
    }
}

fn requests(f: &Figures, a: &Applying) -> Markup {
    html! {
        p {
            (plural(a.requests, "Graph request", "Graph requests")) " in "
            a href="graph-requests.jsonl" { "graph-requests.jsonl" }
            ", one per reassigned user whose licenses change in Microsoft 365. Each organization is a tenant with its own sign-in: apply them one at a time."
        }
        @if a.organizations.total() > 0 {
            table #requests {
                thead { tr {
                    th scope="col" { "Organization" }
                    th.num scope="col" { "Requests" }
                    th scope="col" { "Command" }
                } }
                tbody {
                    @for r in &a.organizations.shown {
                        tr {
                            td.wrap { (r.organization) }
                            td.num { (num(r.requests)) }
                            td.wrap { code { (apply_command(&f.out, Some(&r.organization))) } }
                        }
                    }
                }
            }
        }
        @if a.organizations.more > 0 {
            p.more { "and " (plural(a.organizations.more, "more organization", "more organizations")) " in summary.json" }
        }
        @if a.skipped.total() > 0 {
            p #skipped {
                (plural(a.skipped.total(), "reassigned user has", "reassigned users have"))
                " no request (a SKU id is unknown; see summary.json graph.skipped): result.csv lines "
                (a.skipped.shown.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", "))
                @if a.skipped.more > 0 { ", and " (num(a.skipped.more)) " more in summary.json" }
                "."
            }
        }
        p.note {
            "Try first with " code { "--dry-run" } ": it sends nothing. "
            code { "replan apply" } " reads each user before it writes, skips those who changed since the export, and keeps a journal (applied.csv) so that an interrupted apply resumes."
        }
    }
}

fn audit(f: &Figures) -> Markup {
    let a = &f.audit;
    html! {
        section aria-labelledby=(SECTIONS[9].0) {
            (heading(10))
            table #audit-run {
                tbody {
                    tr { th scope="row" { "Command" } td { code.wrap { (a.command.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")) } } }
                    tr { th scope="row" { "Started (UTC)" } td { (a.started) } }
                    @if let Some(ms) = a.elapsed_ms {
                        tr { th scope="row" { "Elapsed" } td { (num(ms)) " ms" } }
                    }
                    tr { th scope="row" { "replan version" } td { (a.version) } }
                    tr {
                        th scope="row" { "Product catalog" }
                        td {
                            (a.catalog_source) " · " (plural(a.catalog_products, "product", "products"))
                            span.sub { "SHA-256 " span.hash { (a.catalog_sha256) } }
                        }
                    }
                }
            }
            table #audit-inputs {
                caption { "Inputs" }
                thead { tr {
                    th scope="col" { "File" }
                    th.num scope="col" { "Rows" }
                    th.num scope="col" { "Bytes" }
                    th scope="col" { "SHA-256" }
                } }
                tbody {
                    @for i in &a.inputs {
                        tr data-file=(i.file) {
                            td.wrap { (i.file) " " span.sub { (i.path) } }
                            td.num { (num(i.rows)) }
                            td.num { (num(i.bytes)) }
                            td.hash { (i.sha256) }
                        }
                    }
                }
            }
            table #audit-outputs {
                caption { "Outputs written before this report" }
                thead { tr {
                    th scope="col" { "File" }
                    th.num scope="col" { "Bytes" }
                    th scope="col" { "SHA-256" }
                } }
                tbody {
                    @for o in &a.outputs {
                        tr data-file=(o.file) {
                            td { a href=(o.file) { (o.file) } }
                            td.num { (num(o.bytes)) }
                            td.hash { (o.sha256) }
                        }
                    }
                }
            }
            p {
                "summary.json " code { "audit" } " holds the same, and this report's own size and hash. "
                "To verify: " code { "sha256sum" } " each file and compare; run replan again on the same inputs and the CSV files come out byte for byte the same "
                "(with " code { "SOURCE_DATE_EPOCH" } " set, this report too, apart from the --threads value in the command). "
                "After " code { "replan apply" } ", a fresh export run through a plan that names each applied user with the From and To of their result row shows every one of them unchanged."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("replan-out"), "replan-out");
        assert_eq!(shell_word("Contoso Ltd"), "'Contoso Ltd'");
        assert_eq!(shell_word("O'Neil & Co"), r"'O'\''Neil & Co'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn bar_shares_are_integer_percentages() {
        assert_eq!(share(1, 3), "width:33.3%");
        assert_eq!(share(3, 3), "width:100.0%");
        assert_eq!(share(0, 0), "width:0.0%");
    }
}
