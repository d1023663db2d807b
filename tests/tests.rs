//! Integration tests: every rule of SPEC.md, checked by running the real `replan`
//! binary on small input folders written by each test, and reading back the files
//! it writes. One test binary; the modules are grouped by area of SPEC.md.

#[path = "integration/util.rs"]
mod util;

#[cfg(target_os = "linux")]
#[path = "../src/output/page_cache.rs"]
mod page_cache;

#[path = "integration/apply.rs"]
mod apply;
#[path = "integration/audit.rs"]
mod audit;
#[path = "integration/bad_input.rs"]
mod bad_input;
#[path = "integration/bad_input_catalogue.rs"]
mod bad_input_catalogue;
#[path = "integration/counting.rs"]
mod counting;
#[path = "integration/exports.rs"]
mod exports;
#[path = "integration/formats.rs"]
mod formats;
#[path = "integration/generate.rs"]
mod generate;
#[path = "integration/graph.rs"]
mod graph;
#[path = "integration/inputs.rs"]
mod inputs;
#[path = "integration/licenses.rs"]
mod licenses;
#[path = "integration/outputs.rs"]
mod outputs;
#[path = "integration/plan.rs"]
mod plan;
#[path = "integration/prices.rs"]
mod prices;
#[path = "integration/progress.rs"]
mod progress;
#[path = "integration/properties.rs"]
mod properties;
#[path = "integration/reassign.rs"]
mod reassign;
#[path = "integration/report.rs"]
mod report;
#[path = "integration/rules.rs"]
mod rules;
#[path = "integration/samples.rs"]
mod samples;
#[path = "integration/stand_in.rs"]
mod stand_in;
#[path = "integration/trust.rs"]
mod trust;
