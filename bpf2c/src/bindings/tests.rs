use super::*;
use crate::object::{load_file, InputFormat};
use std::path::Path;

fn object(rel: &str) -> Object {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    load_file(&path, InputFormat::Elf).unwrap()
}

#[test]
fn dump() {
    let obj = object(
        &std::env::var("BINDINGS_OBJ").unwrap_or("examples/packet-counter/bpf/counter.o".into()),
    );
    println!("{}", generate(&obj, &BindingsOptions::default()).unwrap());
}
