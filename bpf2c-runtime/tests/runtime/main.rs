//! Runtime tests against hand-written C modules (tests/modules/*.c) that use the ABI the
//! way generated code does.

mod bench;
mod common;
mod concurrency;
mod csrc;
mod helpers;
mod loading;
mod maps;
mod typed;
