//! The big differential-testing run: `cargo run --release -p bpf2c-tests --bin difftest --
//! --programs 1000000 --seed 1`. Prints the counts as it goes and at the end, and exits 1
//! on any mismatch, sanitizer report, hang, interpreter fault or codegen error.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bpf2c_tests::difftest::{run_batch, Config, Tally};

struct Args {
    programs: u64,
    seed: u64,
    batch: u64,
    config: Config,
    /// Stop after this long, reporting what was reached.
    time_limit: Option<Duration>,
}

fn usage() -> String {
    "usage: difftest [--programs N] [--seed S] [--batch B] [--cc gcc|clang] [--opt -O2] \
     [--time-limit SECONDS] | --explain SEED | --reduce SEED"
        .into()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        programs: 10_000,
        seed: 1,
        batch: 400,
        config: Config::default(),
        time_limit: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))
        };
        let number = |v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        };
        match flag.as_str() {
            "--programs" => args.programs = number(value()?)?,
            "--seed" => args.seed = number(value()?)?,
            "--batch" => args.batch = number(value()?)?.max(1),
            "--cc" => args.config.compiler = value()?,
            "--opt" => args.config.opt_level = value()?,
            "--time-limit" => args.time_limit = Some(Duration::from_secs(number(value()?)?)),
            "--explain" => {
                println!("{}", bpf2c_tests::difftest::explain(number(value()?)?));
                std::process::exit(0);
            }
            "--reduce" => {
                let seed = number(value()?)?;
                let p = bpf2c_tests::gen::generate(seed);
                match bpf2c_tests::difftest::reduce(&p, &Config::default()) {
                    Ok((small, finding)) => {
                        println!("{}", bpf2c_tests::difftest::listing(&small));
                        println!("input: {}", hex::encode(&small.input));
                        println!("finding: {finding}");
                        if let bpf2c_tests::difftest::Translated::C(c) =
                            bpf2c_tests::difftest::translate_program(&small)
                        {
                            let path = format!("reduced{seed}.c");
                            if std::fs::write(&path, c).is_ok() {
                                println!("C: {path}");
                            }
                        }
                        std::process::exit(0);
                    }
                    Err(e) => {
                        eprintln!("difftest: {e}");
                        std::process::exit(2);
                    }
                }
            }
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument '{other}'\n{}", usage())),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("difftest: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut total = Tally::default();
    // Seeds are consecutive from --seed: program k of the run is generate(seed + k).
    let mut next = args.seed;
    let end = args.seed.saturating_add(args.programs);
    while next < end {
        if args.time_limit.is_some_and(|l| started.elapsed() >= l) {
            println!("difftest: time limit reached");
            break;
        }
        let batch_end = end.min(next.saturating_add(args.batch));
        match run_batch(next..batch_end, &args.config) {
            Ok(report) => {
                for f in &report.findings {
                    println!("FINDING seed {}: {}", f.seed, f.what);
                }
                total.add(&report.tally);
                println!(
                    "difftest: batch times: translate {:.1?}, compile {:.1?}, run {:.1?}",
                    report.translate_time, report.compile_time, report.run_time
                );
            }
            Err(e) => {
                eprintln!("difftest: batch of seeds {next}..{batch_end} failed: {e}");
                return ExitCode::from(2);
            }
        }
        next = batch_end;
        println!(
            "difftest: seeds {}..{next}: {total} ({:.0?})",
            args.seed,
            started.elapsed()
        );
    }
    println!("difftest summary: {total} in {:.0?}", started.elapsed());
    if total.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
