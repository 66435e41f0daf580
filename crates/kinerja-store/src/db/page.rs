//! A page query (`… ORDER BY id LIMIT n`) with its limit written into the SQL rather than bound.
//!
//! With the limit a parameter, PostgreSQL plans a page query anew at every execution: the
//! generic plan's cost, guessed for an unknown limit, looks worse than the custom plan for 51
//! rows, so the prepared statement never settles on it, and planning costs more than running the
//! index scan (bench/README.md). Written in, the statement (one per page size; sizes are 1–200)
//! settles on its generic plan after five runs.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

#[derive(Debug, Clone)]
pub struct Limited<Q> {
    query: Q,
    limit: u32,
}

/// `query LIMIT limit` (a negative limit reads as none).
pub fn limited<Q>(query: Q, limit: i64) -> Limited<Q> {
    Limited { query, limit: u32::try_from(limit.max(0)).unwrap_or(u32::MAX) }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Limited<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }
}

impl<Q> QueryId for Limited<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}
