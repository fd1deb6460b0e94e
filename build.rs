//! Fetches front-end files from the npm registry, once per build directory, checking each
//! against its published integrity hash: Redoc, which the binary ships, and axe-core,
//! which the browser tests run. Nothing is fetched at run time.
//!
//! Only `curl` and `tar` are needed (no Node.js). Offline, set `GREENROOM_REDOC_TGZ` and
//! `GREENROOM_AXE_TGZ` to the packages' `.tgz`; without either, the build still succeeds:
//! the API reference page says its renderer is missing (the description stays at
//! /api/v1/openapi.json), and the browser tests fail, saying the checker is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha512};

/// A package file from the npm registry: where, its integrity, and the file we take.
struct NpmFile {
    tarball: &'static str,
    integrity: &'static str,
    inner: &'static str,
    out: &'static str,
    offline_env: &'static str,
    fallback: &'static str,
}

const REDOC: NpmFile = NpmFile {
    tarball: "https://registry.npmjs.org/redoc/-/redoc-3.0.1.tgz",
    integrity: "sha512-KDfoKaYW19LCl4YStgBnwlaNjYEFfs5zCNt1s1WZ2YM5u8d26Yuzd2l43fZO851ZsgIMe/D640fDJkD8eaRQKQ==",
    inner: "package/bundles/redoc.standalone.js",
    out: "redoc.standalone.js",
    offline_env: "GREENROOM_REDOC_TGZ",
    fallback: "document.body.insertAdjacentHTML('afterbegin', '<p>The API reference renderer was not available when this binary was built. The description is at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>');",
};

/// The accessibility checker the browser tests run inside Chromium (tests only: the
/// binary never serves it).
const AXE: NpmFile = NpmFile {
    tarball: "https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz",
    integrity: "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    inner: "package/axe.min.js",
    out: "axe.min.js",
    offline_env: "GREENROOM_AXE_TGZ",
    // The browser tests refuse to run without the real checker.
    fallback: "/* axe-core missing */",
};

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn verified(tgz: &Path, integrity: &str) -> bool {
    std::fs::read(tgz)
        .map(|bytes| format!("sha512-{}", base64(&Sha512::digest(&bytes))) == integrity)
        .unwrap_or(false)
}

fn fetch(file: &NpmFile, out_dir: &Path) -> Result<(), String> {
    let target = out_dir.join(file.out);
    let tgz: PathBuf = match std::env::var_os(file.offline_env) {
        Some(path) => PathBuf::from(path),
        None => out_dir.join(format!("{}.tgz", file.out)),
    };
    if !verified(&tgz, file.integrity) {
        let status = Command::new("curl")
            .args([
                "--fail",
                "--silent",
                "--show-error",
                "--location",
                "--retry",
                "2",
                "--output",
            ])
            .arg(&tgz)
            .arg(file.tarball)
            .status()
            .map_err(|e| format!("cannot run curl: {e}"))?;
        if !status.success() {
            return Err(format!("curl could not fetch {}", file.tarball));
        }
        if !verified(&tgz, file.integrity) {
            return Err(format!(
                "{} does not match its integrity hash",
                file.tarball
            ));
        }
    }
    let unpack = out_dir.join("npm");
    std::fs::create_dir_all(&unpack).map_err(|e| e.to_string())?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&unpack)
        .arg(file.inner)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar could not unpack {}", file.inner));
    }
    std::fs::copy(unpack.join(file.inner), &target).map_err(|e| e.to_string())?;
    Ok(())
}

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");
    for file in [&REDOC, &AXE] {
        println!("cargo:rerun-if-env-changed={}", file.offline_env);
        if out_dir.join(file.out).is_file()
            && verified(&out_dir.join(format!("{}.tgz", file.out)), file.integrity)
        {
            continue;
        }
        if let Err(why) = fetch(file, &out_dir) {
            println!("cargo:warning={} is missing: {why}", file.out);
            std::fs::write(out_dir.join(file.out), file.fallback).expect("OUT_DIR is writable");
        }
    }
}
