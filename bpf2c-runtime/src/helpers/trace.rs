//! bpf_trace_printk: formatting (in C, csrc/printk.c) and where the lines go.

use std::ffi::c_char;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::error::Errno;

/// Size of one formatted line, as Linux's BPF_TRACE_PRINTK_SIZE; longer output is cut.
pub const TRACE_LINE_MAX: usize = 1024;

extern "C" {
    fn bpf2c_rt_format_printk(
        buf: *mut c_char,
        buf_size: usize,
        fmt: *const c_char,
        fmt_size: u64,
        a1: u64,
        a2: u64,
        a3: u64,
    ) -> i64;
}

/// Formats like the trace_printk helper, returning the bytes written into `out` or a
/// negative errno.
///
/// # Safety
/// `fmt` is readable for `fmt_size` bytes.
pub(crate) unsafe fn format_raw(
    out: &mut [u8; TRACE_LINE_MAX],
    fmt: *const u8,
    fmt_size: u64,
    args: [u64; 3],
) -> i64 {
    if fmt.is_null() {
        return -(Errno::EINVAL.code() as i64);
    }
    // SAFETY: `out` is writable for its length, which is passed along, and `fmt` readable
    // for fmt_size bytes (this function's contract). The C side reads %s arguments without
    // faulting (process_vm_readv on Linux, nothing elsewhere), so any value is harmless.
    unsafe {
        bpf2c_rt_format_printk(
            out.as_mut_ptr() as *mut c_char,
            out.len(),
            fmt as *const c_char,
            fmt_size,
            args[0],
            args[1],
            args[2],
        )
    }
}

/// Formats a trace_printk line the way a program's call would, for hosts and tests that
/// want the helper's exact output without running a program. `fmt` must contain a NUL,
/// as the helper requires; `%s` arguments are addresses in this process.
pub fn format_trace_printk(fmt: &[u8], args: [u64; 3]) -> Result<String, Errno> {
    let mut out = [0u8; TRACE_LINE_MAX];
    // SAFETY: fmt is a slice of fmt.len() bytes; %s arguments are read without faulting,
    // so arbitrary addresses in `args` cannot make this safe function unsound.
    let n = unsafe { format_raw(&mut out, fmt.as_ptr(), fmt.len() as u64, args) };
    if n < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(String::from_utf8_lossy(&out[..n as usize]).into_owned())
}

/// One trace_printk line as the sink sees it.
#[derive(Clone, Copy, Debug)]
pub struct TraceEvent<'a> {
    /// The program that printed it (the tail-call target, after a tail call).
    pub program: &'a str,
    /// The CPU slot of the run.
    pub cpu: u32,
    /// The formatted text, without one trailing newline: Linux's trace lines end there.
    pub text: &'a str,
}

/// Where trace_printk output goes.
#[derive(Clone, Default)]
pub enum TraceSink {
    /// `bpf_trace_printk: <program>: <text>` lines on standard error.
    #[default]
    Stderr,
    /// Dropped; the helper still formats and returns the length.
    Discard,
    /// Handed to a callback, on the thread that runs the program.
    Callback(Arc<dyn Fn(&TraceEvent<'_>) + Send + Sync>),
}

impl std::fmt::Debug for TraceSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TraceSink::Stderr => "Stderr",
            TraceSink::Discard => "Discard",
            TraceSink::Callback(_) => "Callback",
        })
    }
}

impl TraceSink {
    pub(crate) fn emit(&self, event: &TraceEvent<'_>) {
        match self {
            TraceSink::Stderr => {
                let line = format!("bpf_trace_printk: {}: {}\n", event.program, event.text);
                // One write per line so concurrent programs do not interleave mid-line;
                // a closed stderr is not the program's problem.
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            TraceSink::Discard => {}
            TraceSink::Callback(f) => f(event),
        }
    }
}

/// A captured trace line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// The program that printed the line.
    pub program: String,
    /// The CPU slot of the run.
    pub cpu: u32,
    /// The text, without one trailing newline.
    pub text: String,
}

/// Collects trace lines in memory, for tests and tools that show them later.
#[derive(Clone, Default, Debug)]
pub struct TraceCapture {
    records: Arc<Mutex<Vec<TraceRecord>>>,
}

impl TraceCapture {
    /// An empty capture; hand [`TraceCapture::sink`] to [`Options::trace_sink`](crate::Options::trace_sink).
    pub fn new() -> TraceCapture {
        TraceCapture::default()
    }

    /// A sink that appends to this capture.
    pub fn sink(&self) -> TraceSink {
        let records = self.records.clone();
        TraceSink::Callback(Arc::new(move |e: &TraceEvent<'_>| {
            records
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(TraceRecord {
                    program: e.program.to_string(),
                    cpu: e.cpu,
                    text: e.text.to_string(),
                })
        }))
    }

    /// Removes and returns every line captured so far.
    pub fn take(&self) -> Vec<TraceRecord> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The texts captured so far, in order.
    pub fn texts(&self) -> Vec<String> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|r| r.text.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: [u64; 3]) -> Result<String, Errno> {
        let mut bytes = fmt.as_bytes().to_vec();
        bytes.push(0);
        format_trace_printk(&bytes, args)
    }

    #[test]
    fn integer_conversions_follow_their_length() {
        let m1 = u64::MAX;
        assert_eq!(f("%d %i %u", [m1, 5, m1]).unwrap(), "-1 5 4294967295");
        assert_eq!(
            f("%ld %lu", [m1, m1, 0]).unwrap(),
            "-1 18446744073709551615"
        );
        assert_eq!(
            f("%lld %lli %llu", [1 << 63, 42, 7]).unwrap(),
            "-9223372036854775808 42 7"
        );
        assert_eq!(
            f("%x %lx %llX", [0x1_dead_beef, 0xabc, 0xabc]).unwrap(),
            "deadbeef abc ABC"
        );
        assert_eq!(f("%d", [0x1_0000_0002, 0, 0]).unwrap(), "2");
    }

    #[test]
    fn flags_width_percent_char_and_pointer() {
        assert_eq!(
            f("[%5d|%-5d|%05d]", [42, 42, 42]).unwrap(),
            "[   42|42   |00042]"
        );
        assert_eq!(
            f("[%+d|% d|%05d]", [7, 7, (-7i64) as u64]).unwrap(),
            "[+7| 7|-0007]"
        );
        assert_eq!(f("100%% %c", [b'z' as u64, 0, 0]).unwrap(), "100% z");
        assert_eq!(
            f("%p %px", [0x1234, 0xff, 0]).unwrap(),
            "0000000000001234 00000000000000ff"
        );
        assert_eq!(f("no args\n", [0; 3]).unwrap(), "no args\n");
    }

    #[test]
    fn strings_are_read_without_trusting_the_pointer() {
        let s = b"hello\0";
        assert_eq!(f("<%s>", [s.as_ptr() as u64, 0, 0]).unwrap(), "<hello>");
        assert_eq!(f("<%8s>", [s.as_ptr() as u64, 0, 0]).unwrap(), "<   hello>");
        // NULL and a certainly-unmapped address print as empty strings, as in Linux.
        assert_eq!(f("<%s>", [0, 0, 0]).unwrap(), "<>");
        assert_eq!(f("<%s>", [8, 0, 0]).unwrap(), "<>");
    }

    #[test]
    fn bad_formats_are_refused_whole() {
        for bad in [
            "%f",
            "%5.2d",
            "%n",
            "%hd",
            "%lls",
            "%pS",
            "%d %d %d %d",
            "end %",
            "\x01",
        ] {
            assert_eq!(f(bad, [1, 2, 3]), Err(Errno::EINVAL), "{bad:?}");
        }
        // The NUL must be inside the given size.
        assert_eq!(format_trace_printk(b"abc", [0; 3]), Err(Errno::EINVAL));
        assert_eq!(format_trace_printk(b"", [0; 3]), Err(Errno::EINVAL));
        assert_eq!(format_trace_printk(b"ab\0cd", [0; 3]).unwrap(), "ab");
    }

    #[test]
    fn long_output_is_cut_at_the_line_size() {
        let fmt = "x".repeat(2000);
        let out = f(&fmt, [0; 3]).unwrap();
        assert_eq!(out.len(), TRACE_LINE_MAX - 1);
    }
}
