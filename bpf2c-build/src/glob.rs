//! Just enough globbing for object lists: `*` and `?` within one path component, `**` for
//! any number of directories. Results are `/`-separated paths relative to the root, sorted.

use std::path::Path;

/// The files under `root` that `pattern` (relative, `/`-separated) matches.
pub fn expand(root: &Path, pattern: &str) -> Result<Vec<String>, String> {
    if pattern.starts_with('/') || pattern.split('/').any(|c| c == "..") {
        return Err(format!(
            "'{pattern}': object paths must stay inside the package (relative, without '..')"
        ));
    }
    let parts: Vec<&str> = pattern
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut out = Vec::new();
    walk(root, &parts, String::new(), &mut out);
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, parts: &[&str], prefix: String, out: &mut Vec<String>) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        }
    };
    if *first == "**" {
        // Zero directories, then every subdirectory with the same pattern.
        walk(dir, rest, prefix.clone(), out);
        for (name, path) in entries(dir) {
            if path.is_dir() {
                walk(&path, parts, join(&name), out);
            }
        }
        return;
    }
    if !first.contains(['*', '?']) {
        let path = dir.join(first);
        if rest.is_empty() {
            if path.is_file() {
                out.push(join(first));
            }
        } else if path.is_dir() {
            walk(&path, rest, join(first), out);
        }
        return;
    }
    for (name, path) in entries(dir) {
        if !matches(first.as_bytes(), name.as_bytes()) {
            continue;
        }
        if rest.is_empty() {
            if path.is_file() {
                out.push(join(&name));
            }
        } else if path.is_dir() {
            walk(&path, rest, join(&name), out);
        }
    }
}

fn entries(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// `*` matches any run of characters, `?` any one character.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            matches(rest, name) || (!name.is_empty() && matches(pattern, &name[1..]))
        }
        (Some((b'?', rest)), Some((_, n))) => matches(rest, n),
        (Some((p, rest)), Some((c, n))) if p == c => matches(rest, n),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_components() {
        assert!(matches(b"*.o", b"x.o"));
        assert!(matches(b"*.o", b".o"));
        assert!(!matches(b"*.o", b"x.c"));
        assert!(matches(b"a?c*", b"abcdef"));
        assert!(!matches(b"a?c", b"ac"));

        let d = tempfile::tempdir().unwrap();
        for f in ["a/x.o", "a/b/y.o", "a/b/c/z.o", "a/b/c/z.c", "top.o"] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        assert_eq!(expand(d.path(), "a/*.o").unwrap(), ["a/x.o"]);
        assert_eq!(
            expand(d.path(), "**/*.o").unwrap(),
            ["a/b/c/z.o", "a/b/y.o", "a/x.o", "top.o"]
        );
        assert_eq!(
            expand(d.path(), "a/**/z.?").unwrap(),
            ["a/b/c/z.c", "a/b/c/z.o"]
        );
        assert_eq!(expand(d.path(), "./top.o").unwrap(), ["top.o"]);
        assert!(expand(d.path(), "missing.o").unwrap().is_empty());
        assert!(expand(d.path(), "../x.o").is_err());
    }
}
