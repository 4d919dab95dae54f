//! Verifier-assisted map optimizations, tested by running the generated code: every test
//! checks the values programs return and leave in maps, not only the C text.

mod common;
mod differential;
mod inline;
mod percpu_hash;
mod prandom;
mod report;
mod sharing;
mod tamper;
