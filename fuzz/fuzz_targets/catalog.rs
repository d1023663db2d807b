//! The product catalog: the valid tenant run with a fuzzed `--catalog` table.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| replan_fuzz::catalog(data));
