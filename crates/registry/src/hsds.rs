//! What the Open Referral HSDS views read: every published network, as anyone may list it
//! (the same visibility rules as `GET /v1/networks` without a token). The HTTP adapter maps
//! them to HSDS documents; this is a view of the same data, never a second store.

use crate::Registry;
use crate::error::Result;
use crate::networks::{ListParams, PageRequest};
use onconet_domain::Network;

/// Networks read from the database at a time.
const BATCH: i64 = 500;

impl Registry {
    /// Every published network, ordered by name, then id. The networks carry every contact:
    /// the caller shows their public view ([`onconet_domain::NetworkProfile::public_view`]).
    pub async fn published_networks(&self) -> Result<Vec<Network>> {
        let mut all = Vec::new();
        for page in 1.. {
            let found = self
                .list_networks(
                    ListParams::default(),
                    PageRequest {
                        page,
                        per_page: BATCH,
                    },
                    None,
                )
                .await?;
            let n = found.items.len();
            all.extend(found.items.into_iter().map(|(network, _)| network));
            if i64::try_from(n).unwrap_or(0) < BATCH
                || i64::try_from(all.len()).unwrap_or(i64::MAX) >= found.total
            {
                break;
            }
        }
        Ok(all)
    }
}
