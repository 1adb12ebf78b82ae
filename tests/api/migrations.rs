//! Every migration applies and reverts cleanly.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use onconet_test_support::TestDb;

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// Tables, columns, constraints and indexes of the public schema, one line each.
async fn schema(url: &str) -> Vec<String> {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let rows: Vec<Line> = diesel::sql_query(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
         UNION ALL
         SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '__diesel_schema_migrations'
         UNION ALL
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .expect("schema query");
    rows.into_iter().map(|l| l.line).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_apply_revert_and_reapply() {
    let db = TestDb::empty().await.expect("database");
    let empty = schema(db.url()).await;
    assert!(empty.is_empty(), "a new database has no tables: {empty:?}");
    let applied = onconet_db::migrations::run_pending(db.url())
        .await
        .expect("apply");
    assert!(!applied.is_empty());
    let first = schema(db.url()).await;
    assert!(first.iter().any(|l| l.starts_with("networks.id uuid")));
    let reverted = onconet_db::migrations::revert_all(db.url())
        .await
        .expect("revert");
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(
        schema(db.url()).await,
        empty,
        "reverting leaves nothing behind"
    );
    onconet_db::migrations::run_pending(db.url())
        .await
        .expect("reapply");
    assert_eq!(
        schema(db.url()).await,
        first,
        "reapplying gives the same schema"
    );
}
