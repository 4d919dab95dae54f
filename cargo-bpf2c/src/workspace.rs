//! Which objects a command works on: the ones named on the command line, or, without any,
//! the ones workspace packages declare in `[package.metadata.bpf2c]`, found through `cargo
//! metadata`. Every command that takes objects (verify, gen, build, report) resolves them
//! here, so they all understand `--manifest-path`, `-p` and `--workspace` the same way.

use std::path::PathBuf;

use bpf2c::helpers::HelperSet;
use bpf2c_build::metadata::{self, ObjectConfig};
use cargo_metadata::{Metadata, MetadataCommand, Package};

use crate::cli::WorkspaceArgs;
use crate::Failure;

/// One object to work on.
#[derive(Clone, Debug)]
pub struct Unit {
    /// The package that declares it; None for an object named on the command line that no
    /// package declares.
    pub package: Option<String>,
    pub object: ObjectConfig,
    /// Standard helpers plus the package's own.
    pub helpers: HelperSet,
    /// Where generated files for this unit go: `<target>/bpf2c/<package>/`.
    pub out_dir: PathBuf,
}

impl Unit {
    /// `package bpf/x.o`, or the path for loose objects: how status lines name it.
    pub fn label(&self) -> String {
        match &self.package {
            Some(p) => format!("{p} {}", self.object.display),
            None => self.object.display.clone(),
        }
    }
}

/// The objects named on the command line, or the workspace's.
pub fn resolve(objects: &[PathBuf], ws: &WorkspaceArgs) -> Result<Vec<Unit>, Failure> {
    if objects.is_empty() {
        let meta = metadata(ws)?;
        return from_workspace(&meta, ws);
    }
    // Loose objects still get their package's settings (helpers above all) when a package
    // of the workspace declares them; outside a workspace they get the defaults.
    let meta = metadata(ws).ok();
    let declared = match &meta {
        Some(m) => from_workspace(
            m,
            &WorkspaceArgs {
                workspace: true,
                ..ws.clone()
            },
        )
        .unwrap_or_default(),
        None => Vec::new(),
    };
    let target = meta
        .as_ref()
        .map(|m| m.target_directory.clone().into_std_path_buf())
        .unwrap_or_else(|| PathBuf::from("target"));
    let mut units = Vec::new();
    for path in objects {
        let canonical = path.canonicalize().ok();
        let known = declared
            .iter()
            .find(|u| canonical.is_some() && u.object.path.canonicalize().ok() == canonical);
        units.push(match known {
            Some(u) => Unit {
                object: ObjectConfig {
                    path: path.clone(),
                    display: path.display().to_string(),
                    ..u.object.clone()
                },
                ..u.clone()
            },
            None => Unit {
                package: None,
                object: ObjectConfig {
                    path: path.clone(),
                    display: path.display().to_string(),
                    name: None,
                    optimize: true,
                    module_symbol: None,
                    package_program_types: Vec::new(),
                    program_types: Vec::new(),
                },
                helpers: HelperSet::standard(),
                out_dir: target.join("bpf2c"),
            },
        });
    }
    Ok(units)
}

fn metadata(ws: &WorkspaceArgs) -> Result<Metadata, Failure> {
    let mut cmd = MetadataCommand::new();
    cmd.no_deps();
    if let Some(p) = &ws.manifest_path {
        cmd.manifest_path(p);
    }
    cmd.exec().map_err(|e| {
        Failure(format!(
            "cannot read the workspace ({}): {}",
            ws.manifest_path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "Cargo.toml".into()),
            first_line(&e.to_string())
        ))
    })
}

fn first_line(s: &str) -> String {
    s.trim()
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string()
}

/// The packages to work on, as cargo would pick them: `-p` names, else `--workspace` (or a
/// virtual manifest) for every member, else the package whose manifest was given or whose
/// directory we are in.
fn selected<'a>(meta: &'a Metadata, ws: &WorkspaceArgs) -> Result<Vec<&'a Package>, Failure> {
    let members: Vec<&Package> = meta.workspace_packages();
    if !ws.packages.is_empty() {
        let mut out = Vec::new();
        for name in &ws.packages {
            match members.iter().find(|p| p.name.as_str() == name.as_str()) {
                Some(p) => out.push(*p),
                None => {
                    let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                    return Err(Failure(format!(
                        "package '{name}' is not a member of the workspace (members: {})",
                        names.join(", ")
                    )));
                }
            }
        }
        return Ok(out);
    }
    if ws.workspace {
        return Ok(members);
    }
    // The package whose manifest is given, or that contains the current directory; a
    // virtual manifest (or the workspace root) means every member.
    let anchor = match &ws.manifest_path {
        Some(p) => p.canonicalize().ok(),
        None => std::env::current_dir().ok(),
    };
    if let Some(anchor) = anchor {
        let root = meta.workspace_root.as_std_path();
        let mut best: Option<&Package> = None;
        for p in &members {
            let dir = p
                .manifest_path
                .parent()
                .map(|d| d.as_std_path().to_path_buf());
            let Some(dir) = dir else { continue };
            let inside = anchor.starts_with(&dir) || anchor == p.manifest_path.as_std_path();
            if inside && dir != root {
                let deeper = best.is_none_or(|b| {
                    b.manifest_path.as_str().len() < p.manifest_path.as_str().len()
                });
                if deeper {
                    best = Some(p);
                }
            }
        }
        if let Some(p) = best {
            return Ok(vec![p]);
        }
        // At the root: a root package alone, unless the root is virtual.
        if let Some(p) = members
            .iter()
            .find(|p| p.manifest_path.parent().map(|d| d.as_std_path()) == Some(root))
        {
            return Ok(vec![p]);
        }
    }
    Ok(members)
}

fn from_workspace(meta: &Metadata, ws: &WorkspaceArgs) -> Result<Vec<Unit>, Failure> {
    let target = meta.target_directory.as_std_path().join("bpf2c");
    let mut units = Vec::new();
    let mut declaring = 0;
    let packages = selected(meta, ws)?;
    for p in &packages {
        let root = p
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_path_buf())
            .unwrap_or_default();
        let cfg = metadata::parse(p.metadata.get("bpf2c"), &root)
            .map_err(|e| Failure(format!("package {}: {e}", p.name)))?;
        if cfg.objects.is_empty() {
            continue;
        }
        declaring += 1;
        let mut helpers = HelperSet::standard();
        for h in &cfg.helpers {
            helpers
                .add(h.clone())
                .map_err(|e| Failure(format!("package {}: {e}", p.name)))?;
        }
        for o in cfg.objects {
            units.push(Unit {
                package: Some(p.name.to_string()),
                object: o,
                helpers: helpers.clone(),
                out_dir: target.join(p.name.as_str()),
            });
        }
    }
    if declaring == 0 {
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        return Err(Failure(format!(
            "no objects to work on: name them on the command line, or declare them in \
             [package.metadata.bpf2c] (objects = [\"bpf/*.o\"]) of a package; looked in: {}",
            if names.is_empty() {
                "(no packages)".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    Ok(units)
}
