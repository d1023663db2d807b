//! The whole pipeline: fuzzed users.csv, subscriptions.csv, plan.csv and
//! domains.csv run, written and checked (see `replan_fuzz::pipeline`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| replan_fuzz::pipeline(data));
