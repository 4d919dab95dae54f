use std::path::{Path, PathBuf};

use super::*;
use crate::insn::disasm_at;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bpf")
}

fn load(name: &str) -> Result<Object> {
    load_path(&corpus().join(name))
}

#[test]
#[ignore]
fn dump() {
    let mut names: Vec<_> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    names.sort();
    for p in names {
        println!("===== {}", p.display());
        match load_path(&p) {
            Err(e) => println!("ERROR: {e}"),
            Ok(o) => {
                println!("name={} le={}", o.name, o.little_endian);
                for (i, m) in o.maps.iter().enumerate() {
                    println!("map {i}: {:?}", m);
                }
                for p in &o.programs {
                    println!("prog {:?}", p);
                }
                for (i, f) in o.functions.iter().enumerate() {
                    println!("fn {i}: {} sec={} off={} len={} relocs={:?}", f.name, f.section, f.section_offset, f.insns.len(), f.relocs);
                    for pc in 0..f.insns.len() {
                        let l = f.line_info.iter().filter(|l| l.insn == pc).map(|l| format!("{}:{}:{} {}", l.file, l.line, l.column, l.source.trim())).collect::<Vec<_>>().join(" | ");
                        println!("   {pc:3}: {:40} {l}", disasm_at(&f.insns, pc));
                    }
                }
            }
        }
    }
}
