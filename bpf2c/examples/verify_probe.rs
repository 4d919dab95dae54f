use bpf2c::object::elf::load_path;
use bpf2c::verify::{verify_object, VerifyOptions};
fn main() {
    for arg in std::env::args().skip(1) {
        let obj = match load_path(arg.as_ref()) {
            Ok(o) => o,
            Err(e) => {
                println!("LOAD ERR {e}");
                continue;
            }
        };
        for v in verify_object(&obj, &VerifyOptions::default()) {
            println!(
                "{arg} {} verified={} insns={} t={:?} facts_t={:?}",
                v.program, v.verified, v.instructions, v.verify_time, v.facts_time
            );
            for d in &v.diagnostics {
                println!("   {d} | detail={:?} chain={:?}", d.detail, d.call_chain);
            }
            if let Some(f) = &v.facts {
                for (k, x) in &f.insns {
                    if x.map_call.is_some()
                        || matches!(
                            x.ctx,
                            Some(bpf2c::facts::CtxFact::Ctx { .. })
                                | Some(bpf2c::facts::CtxFact::Ambiguous)
                        )
                    {
                        println!("   {:?} {:?}", k, x);
                    }
                }
            }
        }
    }
}
