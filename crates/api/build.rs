//! The console's map and chart libraries (Leaflet, Geoman and uPlot, pinned in
//! `vendor/package-lock.json`) are
//! embedded in the binary from `vendor/node_modules`. This installs them there with `npm ci`
//! when the installed versions are not the locked ones (a fresh clone, or a changed lock).

use std::path::Path;
use std::process::Command;

/// The packages whose files the binary embeds.
const PACKAGES: [&str; 3] = ["leaflet", "@geoman-io/leaflet-geoman-free", "uplot"];

fn version(lock: &serde_json::Value, package: &str) -> Option<String> {
    lock.get("packages")?
        .get(format!("node_modules/{package}"))?
        .get("version")?
        .as_str()
        .map(str::to_owned)
}

fn read(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn installed(vendor: &Path) -> Result<bool, String> {
    let locked = read(&vendor.join("package-lock.json"))
        .ok_or("crates/api/vendor/package-lock.json is missing or not JSON")?;
    // npm writes what it installed to node_modules/.package-lock.json.
    let Some(present) = read(&vendor.join("node_modules/.package-lock.json")) else {
        return Ok(false);
    };
    Ok(PACKAGES.iter().all(|p| {
        version(&locked, p).is_some()
            && version(&locked, p) == version(&present, p)
            && vendor
                .join("node_modules")
                .join(p)
                .join("package.json")
                .exists()
    }))
}

fn run() -> Result<(), String> {
    let vendor = Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor");
    println!("cargo::rerun-if-changed=vendor/package.json");
    println!("cargo::rerun-if-changed=vendor/package-lock.json");
    println!("cargo::rerun-if-changed=vendor/node_modules/.package-lock.json");
    if installed(&vendor)? {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&vendor)
        .status()
        .map_err(|e| {
            format!("cannot run npm ({e}): Node.js and npm are needed to build the console's map library (scripts/setup.sh installs them)")
        })?;
    if !status.success() {
        return Err(format!(
            "`npm ci` in {} failed ({status})",
            vendor.display()
        ));
    }
    if installed(&vendor)? {
        Ok(())
    } else {
        Err("`npm ci` did not install the locked versions of the console's map library".into())
    }
}

fn main() {
    if let Err(e) = run() {
        println!("cargo::error={e}");
    }
}
