//! Hand-written SQL, built from pieces, that diesel can keep as a prepared
//! statement.
//!
//! `diesel::sql_query` never caches its statement, so PostgreSQL parses and
//! plans it on every call; for a fixed statement such as a page's decorations
//! planning costs more than running it. A [`Statement::prepared`] is cached per
//! connection by its text. A [`Statement::unprepared`] is planned with the
//! actual values every time: that is what the members list's team filter needs,
//! because how many members a team holds decides the best plan.

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    serialize::ToSql,
    sql_types::{HasSqlType, Untyped},
    QueryResult, RunQueryDsl,
};

enum Piece<'a> {
    Sql(Cow<'static, str>),
    Bind(Box<dyn QueryFragment<Pg> + Send + 'a>),
}

/// A value bound in place, written as the next `$n`.
struct Bound<ST, V> {
    value: V,
    sql_type: PhantomData<fn() -> ST>,
}

impl<ST, V> QueryFragment<Pg> for Bound<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

/// SQL text and bound values, in order. Placeholders are numbered for you.
pub struct Statement<'a> {
    pieces: Vec<Piece<'a>>,
    cached: bool,
}

impl<'a> Statement<'a> {
    /// A statement whose text is the same on every call: prepared once per
    /// connection and planned by PostgreSQL's plan cache.
    pub fn prepared(sql: &'static str) -> Self {
        Self {
            pieces: vec![Piece::Sql(Cow::Borrowed(sql))],
            cached: true,
        }
    }

    /// A statement planned afresh, with its values, on every call.
    pub fn unprepared(sql: &'static str) -> Self {
        Self {
            cached: false,
            ..Self::prepared(sql)
        }
    }

    pub fn sql(mut self, sql: impl Into<Cow<'static, str>>) -> Self {
        self.pieces.push(Piece::Sql(sql.into()));
        self
    }

    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
        ST: 'a,
    {
        self.pieces.push(Piece::Bind(Box::new(Bound::<ST, V> {
            value,
            sql_type: PhantomData,
        })));
        self
    }
}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if !self.cached {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match piece {
                Piece::Sql(sql) => out.push_sql(sql),
                Piece::Bind(bind) => bind.walk_ast(out.reborrow())?,
            }
        }
        Ok(())
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    // Cached by its SQL text, never by type: every statement is this one type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement<'_> {}
