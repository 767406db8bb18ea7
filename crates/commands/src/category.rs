//! ACL categories.

/// One ACL category. The order of the variants is `ACL CAT`'s order; `Json`
/// is the category the JSON module commands declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Category {
    Keyspace,
    Read,
    Write,
    Set,
    SortedSet,
    List,
    Hash,
    String,
    Bitmap,
    HyperLogLog,
    Geo,
    Stream,
    PubSub,
    Admin,
    Fast,
    Slow,
    Blocking,
    Dangerous,
    Connection,
    Transaction,
    Scripting,
    Json,
}

impl Category {
    /// Every category, in `ACL CAT` order.
    pub const ALL: [Category; 22] = [
        Category::Keyspace,
        Category::Read,
        Category::Write,
        Category::Set,
        Category::SortedSet,
        Category::List,
        Category::Hash,
        Category::String,
        Category::Bitmap,
        Category::HyperLogLog,
        Category::Geo,
        Category::Stream,
        Category::PubSub,
        Category::Admin,
        Category::Fast,
        Category::Slow,
        Category::Blocking,
        Category::Dangerous,
        Category::Connection,
        Category::Transaction,
        Category::Scripting,
        Category::Json,
    ];

    /// The lowercase name without `@` (`sortedset`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Keyspace => "keyspace",
            Category::Read => "read",
            Category::Write => "write",
            Category::Set => "set",
            Category::SortedSet => "sortedset",
            Category::List => "list",
            Category::Hash => "hash",
            Category::String => "string",
            Category::Bitmap => "bitmap",
            Category::HyperLogLog => "hyperloglog",
            Category::Geo => "geo",
            Category::Stream => "stream",
            Category::PubSub => "pubsub",
            Category::Admin => "admin",
            Category::Fast => "fast",
            Category::Slow => "slow",
            Category::Blocking => "blocking",
            Category::Dangerous => "dangerous",
            Category::Connection => "connection",
            Category::Transaction => "transaction",
            Category::Scripting => "scripting",
            Category::Json => "json",
        }
    }

    /// Case-insensitive lookup by name (without `@`).
    pub fn from_name(name: &[u8]) -> Option<Category> {
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.name().as_bytes().eq_ignore_ascii_case(name))
    }

    fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

/// A set of categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Categories(u32);

impl Categories {
    pub const EMPTY: Categories = Categories(0);

    pub fn contains(self, c: Category) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn insert(&mut self, c: Category) {
        self.0 |= c.bit();
    }

    /// The members in `ACL CAT` order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}
