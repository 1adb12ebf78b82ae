//! Exports: every network a viewer may see, in batches by id, so a front end can stream
//! them out (published networks with their public fields for anyone; IKNL staff and admins
//! see drafts and private contacts too, a ROS adviser those of their own ROS).

use crate::Registry;
use crate::error::Result;
use onconet_db::networks::{self as q, ExportScope};
use onconet_domain::{Actor, Network, Role};
use uuid::Uuid;

/// How many networks one batch holds.
pub const EXPORT_BATCH: i64 = 500;

impl Registry {
    /// The next batch of networks `viewer` may export, after `after` (by id), each with
    /// whether the viewer sees its private side. Empty at the end.
    pub async fn export_batch(
        &self,
        viewer: Option<&Actor>,
        after: Option<Uuid>,
    ) -> Result<Vec<(Network, bool)>> {
        let scope = match viewer {
            Some(a) if a.is_registry_staff() => ExportScope::All,
            Some(a) if a.has(Role::RosAdviser) => match &a.org {
                Some(org) => ExportScope::PublishedAndRos(org.clone()),
                None => ExportScope::Published,
            },
            _ => ExportScope::Published,
        };
        let mut conn = self.conn().await?;
        let rows = q::batch_after(&mut conn, after, EXPORT_BATCH, &scope).await?;
        drop(conn);
        rows.into_iter()
            .map(|r| {
                let n = r.into_domain()?;
                let private =
                    viewer.is_some_and(|a| a.can_view_private(n.profile.ros_org.as_ref()));
                Ok((n, private))
            })
            .collect()
    }
}
