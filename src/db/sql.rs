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

/// A JSON column read into `T` (by field name, for a struct); a mismatch is a
/// deserialization error.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> QueryResult<T> {
    serde_json::from_value(value)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// Golden SQL in tests: a statement rendered as text, a clause a line, and
/// compared with the file that pins it (`UPDATE_GOLDEN=1` rewrites the file).
#[cfg(test)]
pub mod golden {
    use std::path::Path;

    use diesel::pg::Pg;

    use super::Statement;

    /// Words that begin a line of the rendered SQL.
    const BREAK_BEFORE: [&str; 11] = [
        "WITH", "SELECT", "FROM", "WHERE", "AND", "ORDER", "LIMIT", "OFFSET", "JOIN", "LEFT",
        "CROSS",
    ];

    /// The statement's text and binds, a clause a line.
    pub fn render(statement: &Statement<'_>) -> String {
        let text = diesel::debug_query::<Pg, _>(statement).to_string();
        let (sql, binds) = text.split_once(" -- binds: ").unwrap_or((&text, ""));
        let mut out = String::new();
        let mut previous = "";
        for word in sql.split_whitespace() {
            let joined = word == "JOIN" && matches!(previous, "LEFT" | "CROSS");
            if !out.is_empty() {
                out.push(if BREAK_BEFORE.contains(&word) && !joined {
                    '\n'
                } else {
                    ' '
                });
            }
            out.push_str(word);
            previous = word;
        }
        format!("{out}\n-- binds: {binds}\n")
    }

    /// Whether the file at `path` holds `wanted`; with `UPDATE_GOLDEN` set, a
    /// file that does not is rewritten. The error shows both.
    pub fn compare(path: &Path, wanted: &str) -> Result<(), String> {
        let golden = std::fs::read_to_string(path).unwrap_or_default();
        if golden == wanted {
            return Ok(());
        }
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, wanted).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(());
        }
        Err(format!(
            "{}:\n--- golden\n{golden}+++ now\n{wanted}",
            path.display()
        ))
    }
}
