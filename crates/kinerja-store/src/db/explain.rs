//! `EXPLAIN` of a query built by the store, with its binds, so tests can check the plans of
//! the real queries.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Text;
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::StoreResult;

#[derive(Debug, Clone)]
pub struct Explain<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

/// The executed plan of `query`, one line per row.
pub async fn explain<Q>(conn: &mut AsyncPgConnection, query: Q) -> StoreResult<Vec<String>>
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    Ok(Explain(query).load::<String>(conn).await?)
}
