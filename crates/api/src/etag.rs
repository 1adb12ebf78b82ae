//! Entity tags of a network's versions: `"v<version>"` (strong), the ETag on every single
//! network and what `If-Match` must send back.

/// The strong ETag of a resource version.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The version of a strong ETag exactly as [`etag`] makes it (`"v01"` is none).
pub(crate) fn version_of(tag: &str) -> Option<i64> {
    let version: i64 = tag.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()?;
    (etag(version) == tag).then_some(version)
}
