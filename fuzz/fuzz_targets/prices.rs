//! prices.csv: the valid tenant with a fuzzed prices.csv, read as `replan run` reads it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| replan_fuzz::read(replan_fuzz::File::Prices, data));
