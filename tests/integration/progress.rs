//! Progress bars go to stderr on a terminal only: a scheduled run's log stays clean.

use crate::util::Case;

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal_even_without_quiet() {
    let case = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "a@contoso.com,FR,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&[
            "Organization,Product,Status,Total licenses,Assigned licenses",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,1,0",
        ])
        .plan(&["User,From,To", "a@contoso.com,O365_BUSINESS_PREMIUM,SPB"]);
    let out = case.root().join("out");
    let outcome = case.exec(&[
        "run",
        case.input().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    outcome.assert_exit(0);
    assert_eq!(
        outcome.stderr, "",
        "stderr is a pipe here: no bar, no escape codes"
    );
}
