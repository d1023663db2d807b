//! SPEC.md "Counting" (stage 6) and subscription-actions.csv: available seats,
//! blocking, --allow-partial, cycles, over-assigned pools, each action, which pools
//! are listed, and their order.

use crate::util::{ACTION_COLS, Case, PLAN, SUBS, USERS, assert_consistent};

#[test]
fn seats_freed_in_the_same_run_are_available() {
    // SPB is full, but Patti leaves it for E3: Adele takes her seat.
    // available(SPB) = total 2 − assigned 2 + freed 1 = 1.
    let out = Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "patti@contoso.com,US,,SPB,,",
            "johanna@contoso.com,US,,SPB,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,2,2",
            "contoso.com,SPE_E3,Active,1,0",
        ])
        .plan(&[
            PLAN,
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "patti@contoso.com,SPB,SPE_E3,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "licenses_after"],
        &[
            &["adele@contoso.com", "reassigned", "SPB"],
            &["patti@contoso.com", "reassigned", "SPE_E3"],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "1",
                "1",
                "0",
                "1",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "2", "2", "2", "0", "0"],
            &["contoso.com", "SPE_E3", "keep", "1", "0", "1", "0", "0"],
        ],
    );
    assert_consistent(&out);
}

/// Three users to SPB, which has 2 free seats; the plan lists them in another
/// order than users.csv.
fn three_for_two() -> Case {
    Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,3,3",
            "contoso.com,SPB,Active,3,1",
        ])
        .plan(&[
            PLAN,
            "cid@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "bob@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
}

#[test]
fn a_short_pool_blocks_every_user_moving_into_it_by_default() {
    let out = three_for_two().run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes", "licenses_after"],
        &[
            &[
                "cid@contoso.com",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "ann@contoso.com",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "bob@contoso.com",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM",
            ],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "3",
                "3",
                "3",
                "0",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "buy-licenses",
                "3",
                "1",
                "1",
                "0",
                "1",
            ],
        ],
    );
    assert!(out.user("ann@contoso.com").get("message").contains("buy 1"));
    assert_consistent(&out);
}

#[test]
fn allow_partial_moves_the_first_users_in_plan_order() {
    let out = three_for_two().run(&["--allow-partial"]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes", "licenses_after"],
        &[
            &["cid@contoso.com", "reassigned", "", "SPB"],
            &["ann@contoso.com", "reassigned", "", "SPB"],
            &[
                "bob@contoso.com",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM",
            ],
        ],
    );
    // licenses_to_buy = wanted 3 − available 2, taken at the end of the counting.
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "3",
                "3",
                "1",
                "2",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "buy-licenses",
                "3",
                "1",
                "3",
                "0",
                "1",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn blocked_users_free_nothing_so_the_count_is_redone() {
    // E3 is full: Patti cannot leave SPB, so the seat Adele counted on never frees.
    let case = Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "patti@contoso.com,US,,SPB,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,1,1",
            "contoso.com,SPE_E3,Active,1,1",
        ])
        .plan(&[
            PLAN,
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "patti@contoso.com,SPB,SPE_E3,,,",
        ]);
    for args in [&[][..], &["--allow-partial"][..]] {
        let out = case.run(args);
        out.assert_exit(1);
        out.result().assert_rows(
            &["user", "status", "codes"],
            &[
                &["adele@contoso.com", "error", "not-enough-licenses"],
                &["patti@contoso.com", "error", "not-enough-licenses"],
            ],
        );
        out.actions().assert_rows(
            &ACTION_COLS,
            &[
                &[
                    "contoso.com",
                    "O365_BUSINESS_PREMIUM",
                    "keep",
                    "1",
                    "1",
                    "1",
                    "0",
                    "0",
                ],
                &[
                    "contoso.com",
                    "SPB",
                    "buy-licenses",
                    "1",
                    "1",
                    "1",
                    "0",
                    "1",
                ],
                &[
                    "contoso.com",
                    "SPE_E3",
                    "buy-licenses",
                    "1",
                    "1",
                    "1",
                    "0",
                    "1",
                ],
            ],
        );
        assert_consistent(&out);
    }
}

#[test]
fn a_cycle_without_spare_licenses_succeeds() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,SPB,,",
            "bob@contoso.com,US,,SPE_E3,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,1,1",
            "contoso.com,SPE_E3,Active,1,1",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,SPB,SPE_E3,,,",
            "bob@contoso.com,SPE_E3,SPB,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "codes", "licenses_after"],
        &[
            &["ann@contoso.com", "reassigned", "", "SPE_E3"],
            &["bob@contoso.com", "reassigned", "", "SPB"],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &["contoso.com", "SPB", "keep", "1", "1", "1", "0", "0"],
            &["contoso.com", "SPE_E3", "keep", "1", "1", "1", "0", "0"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn an_over_assigned_pool_has_no_license_available_and_buys_its_deficit() {
    // SPB: total 2, assigned 3 (a grace period). available = 2 − 3 = −1: one user
    // who wants in needs 2 more licenses. Not an input error.
    // Regression: once its movers were blocked, a pool still short with nobody
    // moving in made the counting loop forever.
    let case = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,2,3",
        ])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"]);
    for args in [&[][..], &["--allow-partial"][..]] {
        let out = case.run(args);
        out.assert_exit(1);
        out.user("ann@contoso.com")
            .check(&[("status", "error"), ("codes", "not-enough-licenses")]);
        assert!(out.user("ann@contoso.com").get("message").contains("buy 2"));
        out.action("contoso.com", "SPB").check(&[
            ("action", "buy-licenses"),
            ("total", "2"),
            ("assigned_before", "3"),
            ("assigned_after", "3"),
            ("licenses_to_buy", "2"),
        ]);
        assert_consistent(&out);
    }
}

#[test]
fn leaving_an_over_assigned_pool_is_fine() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,SPB,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,2,3",
            "contoso.com,SPE_E3,Active,1,0",
        ])
        .plan(&[PLAN, "ann@contoso.com,SPB,SPE_E3,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &["contoso.com", "SPB", "keep", "2", "3", "2", "0", "0"],
            &["contoso.com", "SPE_E3", "keep", "1", "0", "1", "0", "0"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn pools_are_counted_per_organization() {
    // Contoso's SPB has room, Fabrikam's does not.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,1,0",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "fabrikam.com,SPB,Active,1,1",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["ann@contoso.com", "reassigned", ""],
            &["bob@fabrikam.com", "error", "not-enough-licenses"],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "1",
                "1",
                "0",
                "1",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "1", "0", "1", "0", "0"],
            &[
                "fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "1",
                "1",
                "1",
                "0",
                "0",
            ],
            &[
                "fabrikam.com",
                "SPB",
                "buy-licenses",
                "1",
                "1",
                "1",
                "0",
                "1",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn several_subscription_rows_of_one_product_are_one_pool() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,2,2",
            "contoso.com,SPB,Active,1,1",
            "CONTOSO.COM,Microsoft 365 Business Premium,Expired,2,0",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.action("contoso.com", "SPB").check(&[
        ("action", "keep"),
        ("total", "3"),
        ("assigned_before", "1"),
        ("assigned_after", "3"),
    ]);
    assert_eq!(out.actions().len(), 2);
}

#[test]
fn cancel_subscription_when_every_user_left() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,EXCHANGESTANDARD,,",
            "bob@contoso.com,US,,EXCHANGESTANDARD,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,EXCHANGESTANDARD,Active,10,2",
            "contoso.com,EXCHANGEENTERPRISE,Active,2,0",
        ])
        .plan(&[PLAN, "*,EXCHANGESTANDARD,EXCHANGEENTERPRISE,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "EXCHANGEENTERPRISE",
                "keep",
                "2",
                "0",
                "2",
                "0",
                "0",
            ],
            &[
                "contoso.com",
                "EXCHANGESTANDARD",
                "cancel-subscription",
                "10",
                "2",
                "0",
                "10",
                "0",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn remove_licenses_no_longer_needed_unless_a_would_be_mover_errored() {
    // Ann moves to SPB, which has 3 spare seats.
    let base = |extra_user: &str| {
        Case::new()
            .users(&[
                USERS,
                "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
                extra_user,
            ])
            .subscriptions(&[
                SUBS,
                "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
                "contoso.com,SPB,Active,4,1",
            ])
            .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
            .run(&[])
    };
    // Bob has no usage location: he wanted an SPB seat and will need it once fixed.
    let out = base("bob@contoso.com,,,O365_BUSINESS_PREMIUM,,");
    out.assert_exit(1);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "5",
                "2",
                "1",
                "4",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "4", "1", "2", "0", "0"],
        ],
    );
    assert_consistent(&out);
    // Bob already holds SPB too: he wants no seat (so needs no usage location) and
    // leaves Business Standard, which nobody holds any more; SPB's spare seats can go.
    let out = base("bob@contoso.com,,,O365_BUSINESS_PREMIUM+SPB,,");
    out.assert_exit(0);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "2",
                "0",
                "5",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "remove-licenses",
                "4",
                "1",
                "2",
                "2",
                "0",
            ],
        ],
    );
    let reason = out
        .action("contoso.com", "SPB")
        .get("reason")
        .to_lowercase();
    assert!(
        reason.contains("renewal"),
        "annual commitments reduce seats only at renewal: {reason}"
    );
    assert_consistent(&out);
}

#[test]
fn pools_of_unchanged_users_are_listed_and_kept() {
    let out = Case::new()
        .users(&[USERS, "laura@contoso.com,US,,SPE_E5,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,2",
            "contoso.com,SPE_E5,Active,5,1",
        ])
        .plan(&[PLAN, "laura@contoso.com,ENTERPRISEPACK,SPE_E5,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "ENTERPRISEPACK",
                "keep",
                "5",
                "2",
                "2",
                "0",
                "0",
            ],
            &["contoso.com", "SPE_E5", "keep", "5", "1", "1", "0", "0"],
        ],
    );
}

#[test]
fn only_pools_of_users_past_stage_3_and_of_their_organization_are_listed() {
    let out = Case::new()
        .users(&[
            USERS,
            // Swap: Visio is kept, its pool is not listed.
            "grady@contoso.com,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,,",
            // Stage 2 and stage 3 errors: no pools.
            "priya@wingtiptoys.com,US,,O365_BUSINESS_PREMIUM,,",
            "omar@contoso.com,US,,EXCHANGESTANDARD,,",
            // Stage 5 error (To only in Fabrikam): only Contoso's pools are listed.
            "megan@contoso.com,US,,POWER_BI_PRO,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,VISIOCLIENT,Active,5,1",
            "contoso.com,SPB,Active,5,0",
            "contoso.com,EXCHANGESTANDARD,Active,5,1",
            "contoso.com,POWER_BI_PRO,Active,5,1",
            "fabrikam.com,SPE_E5,Active,5,0",
            "fabrikam.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "grady@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "priya@wingtiptoys.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "omar@contoso.com,EXCHANGESTANDARD,Exchange Online Plan 9,,,",
            "megan@contoso.com,POWER_BI_PRO,SPE_E5,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "5",
                "2",
                "1",
                "4",
                "0",
            ],
            &[
                "contoso.com",
                "POWER_BI_PRO",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn actions_are_sorted_by_organization_then_product_in_lowercase_byte_order() {
    // Lowercased, "alpha.com" < "beta.com" and "power_bi_pro" < "powerapps_per_user"
    // ('_' < 'a'); as written, "Beta.com" and "POWERAPPS…" would come first.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@beta.com,US,,POWER_BI_PRO,,",
            "bob@alpha.com,US,,POWER_BI_PRO,,",
        ])
        .subscriptions(&[
            SUBS,
            "Beta.com,POWERAPPS_PER_USER,Active,5,0",
            "Beta.com,POWER_BI_PRO,Active,5,1",
            "alpha.com,POWERAPPS_PER_USER,Active,5,0",
            "alpha.com,POWER_BI_PRO,Active,5,1",
        ])
        .plan(&[PLAN, "*,POWER_BI_PRO,POWERAPPS_PER_USER,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.actions().assert_rows(
        &["organization", "product"],
        &[
            &["alpha.com", "POWER_BI_PRO"],
            &["alpha.com", "POWERAPPS_PER_USER"],
            &["Beta.com", "POWER_BI_PRO"],
            &["Beta.com", "POWERAPPS_PER_USER"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn replace_all_frees_a_seat_of_every_direct_license_it_drops() {
    // Ann's replace-all drops two direct licenses: both seats are freed, and Bob
    // takes the Visio one, which was full.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,,",
            "bob@contoso.com,US,,,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPE_E3,Active,1,0",
            "contoso.com,VISIOCLIENT,Active,1,1",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,replace-all",
            "bob@contoso.com,,VISIOCLIENT,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "licenses_after"],
        &[
            &["ann@contoso.com", "reassigned", "SPE_E3"],
            &["bob@contoso.com", "reassigned", "VISIOCLIENT"],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "1",
                "1",
                "0",
                "1",
                "0",
            ],
            &["contoso.com", "SPE_E3", "keep", "1", "0", "1", "0", "0"],
            &[
                "contoso.com",
                "VISIOCLIENT",
                "keep",
                "1",
                "1",
                "1",
                "0",
                "0",
            ],
        ],
    );
    assert_consistent(&out);
}
