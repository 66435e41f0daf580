//! The domain's codes as the database keeps them (text): a row field `Coded<T>` is read and
//! written as the enum `T` (`row.status.0`). A stored code the enum does not hold fails the read
//! with an error naming the code set and the value — never a default that would pass for data.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use kinerja_domain::code_sets::Code;

/// A code on its way to or from a text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Coded<T: Code>(pub T);

impl<T: Code> From<T> for Coded<T> {
    fn from(code: T) -> Self {
        Coded(code)
    }
}

impl<T: Code + std::fmt::Debug> ToSql<Text, Pg> for Coded<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.0.code(), &mut out.reborrow())
    }
}

impl<T: Code + std::fmt::Debug> FromSql<Text, Pg> for Coded<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let stored = <String as FromSql<Text, Pg>>::from_sql(value)?;
        T::from_code(&stored)
            .map(Coded)
            .ok_or_else(|| format!("a stored {} is {stored:?}, which this version does not know", T::SET).into())
    }
}

/// A code reads as its text, in messages and in audit records.
impl<T: Code> std::fmt::Display for Coded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.code())
    }
}

impl<T: Code> serde::Serialize for Coded<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.code())
    }
}
