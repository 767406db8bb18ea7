//! Path evaluation with RedisJSON's semantics.
//!
//! Matches come back in RedisJSON's order, each with its concrete path so
//! that edits can find it again:
//!
//! - `..sel` applies `sel` to the current value, then to every descendant
//!   in document pre-order;
//! - indexes count from the end when negative, and a negative index past
//!   the start clamps to the first element (`$[-9]` of a 3-element array
//!   is element 0), a positive one past the end matches nothing;
//! - slices clamp both ends into the array, and take a positive step;
//! - a filter on an array or object tests each child; on a scalar it tests
//!   the scalar itself;
//! - in a filter, `@.x` and `$.x` stand for a value only when they match
//!   exactly one; comparisons of anything else (arrays, objects, missing
//!   values, mismatched types) are false, except `!=`, which is the
//!   negation of `==`; numbers compare across integers and floats.

use super::doc::{Json, Step};
use super::path::{CompareOp, Filter, FilterItem, JsonPath, Relation, Segment, Selector, Term};
use std::cmp::Ordering;

/// One match: where it is and what it is.
#[derive(Debug)]
pub struct Match<'a> {
    pub path: Vec<Step<'a>>,
    pub value: &'a Json,
}

/// All matches of `path` in `root`, in RedisJSON's order.
pub fn select<'a>(root: &'a Json, path: &JsonPath) -> Vec<Match<'a>> {
    let mut out = Vec::new();
    let mut walker = Walker {
        root,
        out: &mut out,
    };
    let mut trail = Vec::new();
    walker.walk(&path.segments, root, &mut trail);
    out
}

/// The values alone.
pub fn values<'a>(root: &'a Json, path: &JsonPath) -> Vec<&'a Json> {
    select(root, path).into_iter().map(|m| m.value).collect()
}

struct Walker<'a, 'o> {
    root: &'a Json,
    out: &'o mut Vec<Match<'a>>,
}

impl<'a> Walker<'a, '_> {
    fn walk(&mut self, segments: &[Segment], node: &'a Json, trail: &mut Vec<Step<'a>>) {
        let Some((first, rest)) = segments.split_first() else {
            self.out.push(Match {
                path: trail.clone(),
                value: node,
            });
            return;
        };
        match first {
            Segment::Child(sel) => self.apply(sel, rest, node, trail),
            Segment::Descendant(sel) => {
                self.apply(sel, rest, node, trail);
                self.scan(sel, rest, node, trail);
            }
        }
    }

    /// The recursive part of `..`: every descendant, pre-order.
    fn scan(
        &mut self,
        sel: &Selector,
        rest: &[Segment],
        node: &'a Json,
        trail: &mut Vec<Step<'a>>,
    ) {
        for (step, child) in node.children() {
            trail.push(step);
            self.apply(sel, rest, child, trail);
            self.scan(sel, rest, child, trail);
            trail.pop();
        }
    }

    fn descend(
        &mut self,
        rest: &[Segment],
        step: Step<'a>,
        child: &'a Json,
        trail: &mut Vec<Step<'a>>,
    ) {
        trail.push(step);
        self.walk(rest, child, trail);
        trail.pop();
    }

    fn apply(
        &mut self,
        sel: &Selector,
        rest: &[Segment],
        node: &'a Json,
        trail: &mut Vec<Step<'a>>,
    ) {
        match sel {
            Selector::Name(name) => self.member(name, rest, node, trail),
            Selector::Names(names) => {
                for name in names {
                    self.member(name, rest, node, trail);
                }
            }
            Selector::Wildcard => {
                for (step, child) in node.children() {
                    self.descend(rest, step, child, trail);
                }
            }
            Selector::Indexes(indexes) => {
                let Json::Array(items) = node else { return };
                for &i in indexes {
                    let at = clamp_index(i, items.len());
                    if let Some(child) = items.get(at) {
                        self.descend(rest, Step::Index(at), child, trail);
                    }
                }
            }
            Selector::Slice { start, end, step } => {
                let Json::Array(items) = node else { return };
                let n = items.len();
                let from = start.map_or(0, |s| clamp_index(s, n));
                let to = end.map_or(n, |e| clamp_index(e, n));
                let step = usize::try_from(step.unwrap_or(1)).unwrap_or(usize::MAX);
                let mut i = from;
                while i < to {
                    self.descend(rest, Step::Index(i), &items[i], trail);
                    i = i.saturating_add(step);
                }
            }
            Selector::Filter(filter) => match node {
                Json::Array(_) | Json::Object(_) => {
                    for (step, child) in node.children() {
                        if self.test(filter, child) {
                            self.descend(rest, step, child, trail);
                        }
                    }
                }
                _ => {
                    if self.test(filter, node) {
                        self.walk(rest, node, trail);
                    }
                }
            },
        }
    }

    fn member(&mut self, name: &str, rest: &[Segment], node: &'a Json, trail: &mut Vec<Step<'a>>) {
        if let Json::Object(members) = node {
            if let Some((key, child)) = members.get_key_value(name) {
                self.descend(rest, Step::Key(key.as_str()), child, trail);
            }
        }
    }

    /// `&&` binds tighter than `||`; evaluation short-circuits.
    fn test(&self, filter: &Filter, current: &'a Json) -> bool {
        let mut any = false;
        let mut all = self.item(&filter.first, current);
        for (relation, item) in &filter.rest {
            match relation {
                Relation::And => {
                    if all {
                        all = self.item(item, current);
                    }
                }
                Relation::Or => {
                    any |= all;
                    if any {
                        return true;
                    }
                    all = self.item(item, current);
                }
            }
        }
        any || all
    }

    fn item(&self, item: &FilterItem, current: &'a Json) -> bool {
        match item {
            FilterItem::Group(inner) => self.test(inner, current),
            FilterItem::Test(term) => !matches!(self.term(term, current), Operand::Invalid),
            FilterItem::Compare(left, op, right) => {
                let a = self.term(left, current);
                let b = self.term(right, current);
                compare(&a, *op, &b)
            }
        }
    }

    fn term(&self, term: &Term, current: &'a Json) -> Operand<'a> {
        let (base, segments) = match term {
            Term::Current(segments) => (current, segments),
            Term::Root(segments) => (self.root, segments),
            Term::Int(n) => return Operand::Int(*n),
            Term::Float(f) => return Operand::Float(*f),
            Term::Str(s) => return Operand::Str(s.clone()),
            Term::Bool(b) => return Operand::Bool(*b),
            Term::Null => return Operand::Null,
        };
        let found = select(
            base,
            &JsonPath {
                segments: segments.clone(),
            },
        );
        match found.as_slice() {
            [only] => Operand::Value(only.value),
            _ => Operand::Invalid,
        }
    }
}

/// RedisJSON's `calc_abs_index`.
fn clamp_index(i: i64, n: usize) -> usize {
    if i >= 0 {
        usize::try_from(i).unwrap_or(usize::MAX).min(n)
    } else {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        usize::try_from(i.saturating_add(n).max(0)).unwrap_or(0)
    }
}

/// A filter operand.
enum Operand<'a> {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Value(&'a Json),
    Invalid,
}

/// The comparable scalar behind an operand; `None` for arrays, objects
/// and invalid operands.
enum Scalar<'s> {
    Int(i64),
    Float(f64),
    Str(&'s str),
    Bool(bool),
    Null,
}

fn scalar<'s>(operand: &'s Operand<'_>) -> Option<Scalar<'s>> {
    Some(match operand {
        Operand::Int(n) => Scalar::Int(*n),
        Operand::Float(f) => Scalar::Float(*f),
        Operand::Str(s) => Scalar::Str(s),
        Operand::Bool(b) => Scalar::Bool(*b),
        Operand::Null => Scalar::Null,
        Operand::Value(v) => match v {
            Json::Int(n) => Scalar::Int(*n),
            Json::UInt(n) => Scalar::Float(*n as f64),
            Json::Float(f) => Scalar::Float(*f),
            Json::Str(s) => Scalar::Str(s),
            Json::Bool(b) => Scalar::Bool(*b),
            Json::Null => Scalar::Null,
            Json::Array(_) | Json::Object(_) => return None,
        },
        Operand::Invalid => return None,
    })
}

fn order(a: &Operand<'_>, b: &Operand<'_>) -> Option<Ordering> {
    match (scalar(a)?, scalar(b)?) {
        (Scalar::Int(x), Scalar::Int(y)) => Some(x.cmp(&y)),
        (Scalar::Int(x), Scalar::Float(y)) => float_order(x as f64, y),
        (Scalar::Float(x), Scalar::Int(y)) => float_order(x, y as f64),
        (Scalar::Float(x), Scalar::Float(y)) => float_order(x, y),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(&y)),
        (Scalar::Null, Scalar::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

/// RedisJSON orders floats with `>` and `<`, calling anything else equal.
fn float_order(x: f64, y: f64) -> Option<Ordering> {
    Some(if x > y {
        Ordering::Greater
    } else if x < y {
        Ordering::Less
    } else {
        Ordering::Equal
    })
}

fn equal(a: &Operand<'_>, b: &Operand<'_>) -> bool {
    match (a, b) {
        (Operand::Value(x), Operand::Value(y)) => x.same_as(y),
        _ => order(a, b) == Some(Ordering::Equal),
    }
}

fn compare(a: &Operand<'_>, op: CompareOp, b: &Operand<'_>) -> bool {
    match op {
        CompareOp::Eq => equal(a, b),
        CompareOp::Ne => !equal(a, b),
        CompareOp::Lt => order(a, b) == Some(Ordering::Less),
        CompareOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => order(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Match => regex_match(a, b),
    }
}

/// `=~`: a string value against a pattern (a literal or another string
/// value), unanchored; an invalid pattern matches nothing.
fn regex_match(a: &Operand<'_>, b: &Operand<'_>) -> bool {
    let Operand::Value(Json::Str(text)) = a else {
        return false;
    };
    let pattern = match b {
        Operand::Str(p) => p.as_str(),
        Operand::Value(Json::Str(p)) => p.as_str(),
        _ => return false,
    };
    regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::super::doc::parse as parse_json;
    use super::super::format::to_text;
    use super::super::path::parse as parse_path;
    use super::*;

    fn texts(doc: &str, path: &str) -> Vec<String> {
        let doc = parse_json(doc.as_bytes()).unwrap();
        let path = parse_path(path).unwrap();
        values(&doc, &path).into_iter().map(to_text).collect()
    }

    fn paths(doc: &str, path: &str) -> Vec<String> {
        let doc = parse_json(doc.as_bytes()).unwrap();
        let path = parse_path(path).unwrap();
        select(&doc, &path)
            .into_iter()
            .map(|m| {
                m.path
                    .iter()
                    .map(|s| match s {
                        Step::Key(k) => format!(".{k}"),
                        Step::Index(i) => format!("[{i}]"),
                    })
                    .collect()
            })
            .collect()
    }

    const STORE: &str = r#"{"store":{"book":[
        {"category":"reference","author":"Nigel Rees","title":"Sayings","price":8.95},
        {"category":"fiction","author":"Evelyn Waugh","title":"Sword","price":12.99},
        {"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553","price":8.99},
        {"category":"fiction","author":"Tolkien","title":"LOTR","isbn":"0-395","price":22.99}],
        "bicycle":{"color":"red","price":19.95}}}"#;

    #[test]
    fn children_wildcards_and_brackets() {
        assert_eq!(texts(r#"{"a":{"b":1}}"#, "$.a.b"), ["1"]);
        assert_eq!(texts(r#"{"a":{"b":1}}"#, "$['a'][\"b\"]"), ["1"]);
        assert_eq!(texts(r#"{"a":1,"b":2}"#, "$.*"), ["1", "2"]);
        assert_eq!(texts(r#"{"a":1,"b":2}"#, "$['b','a']"), ["2", "1"]);
        assert_eq!(texts("[1,2,3]", "$[*]"), ["1", "2", "3"]);
        assert_eq!(texts(r#"{"a":1}"#, "$.b"), Vec::<String>::new());
        assert_eq!(texts("[1,2,3]", "$.a"), Vec::<String>::new());
    }

    #[test]
    fn indexes_clamp_like_redisjson() {
        assert_eq!(texts("[1,2,3]", "$[-1]"), ["3"]);
        assert_eq!(texts("[1,2,3]", "$[0,2]"), ["1", "3"]);
        assert_eq!(texts("[1,2,3]", "$[-9]"), ["1"]);
        assert_eq!(texts("[1,2,3]", "$[3]"), Vec::<String>::new());
        assert_eq!(texts("[1,2,3]", "$.[1]"), ["2"]);
    }

    #[test]
    fn slices() {
        assert_eq!(texts("[0,1,2,3,4]", "$[1:3]"), ["1", "2"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[:2]"), ["0", "1"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[3:]"), ["3", "4"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[-2:]"), ["3", "4"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[::2]"), ["0", "2", "4"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[1:100:3]"), ["1", "4"]);
        assert_eq!(texts("[0,1,2,3,4]", "$[3:1]"), Vec::<String>::new());
    }

    #[test]
    fn recursive_descent_is_pre_order() {
        let doc = r#"{"a1":{"b":{"c":1}},"a2":{"b":{"c":true}},"a4":[1.2,2],"c":null}"#;
        assert_eq!(texts(doc, "$..c"), ["null", "1", "true"]);
        assert_eq!(paths(doc, "$..c"), [".c", ".a1.b.c", ".a2.b.c"]);
        assert_eq!(texts(r#"{"a":[1,[2]]}"#, "$..[0]"), ["1", "2"]);
        assert_eq!(texts(r#"{"a":{"a":1}}"#, "$..a"), [r#"{"a":1}"#, "1"]);
        assert_eq!(
            texts(STORE, "$..author").len(),
            4,
            "every author of the store"
        );
    }

    #[test]
    fn filters() {
        assert_eq!(
            texts(STORE, "$.store.book[?(@.price<10)].title"),
            ["\"Sayings\"", "\"Moby Dick\""]
        );
        assert_eq!(
            texts(STORE, "$..book[?(@.isbn)].author"),
            ["\"Herman Melville\"", "\"Tolkien\""]
        );
        assert_eq!(
            texts(
                STORE,
                "$..book[?(@.price>10 && @.category=='fiction' || @.price<9)].title"
            ),
            ["\"Sayings\"", "\"Sword\"", "\"Moby Dick\"", "\"LOTR\""]
        );
        assert_eq!(
            texts(
                STORE,
                "$..book[?(@.price<9 || (@.price>20 && @.isbn))].title"
            ),
            ["\"Sayings\"", "\"Moby Dick\"", "\"LOTR\""]
        );
        assert_eq!(
            texts(STORE, "$..book[?(@.author =~ 'M.*')].price"),
            ["8.99"]
        );
        assert_eq!(texts("[1,2,3]", "$[?(@>1)]"), ["2", "3"]);
        assert_eq!(texts("[1,2,3]", "$[?(@ == 2.0)]"), ["2"]);
        // A missing member is not comparable, and `!=` negates `==`.
        assert_eq!(texts(r#"[{"a":1},{}]"#, "$[?(@.a!=1)]"), ["{}"]);
        assert_eq!(texts(r#"[{"a":1},{}]"#, "$[?(@.a<2)]"), [r#"{"a":1}"#]);
        // Filters on a scalar test the scalar itself.
        assert_eq!(texts(r#"{"a":5}"#, "$.a[?(@>1)]"), ["5"]);
        // Root references inside filters.
        assert_eq!(
            texts(r#"{"max":2,"v":[1,2,3]}"#, "$.v[?(@>=$.max)]"),
            ["2", "3"]
        );
        // Objects are filtered by member.
        assert_eq!(
            texts(r#"{"x":{"p":1},"y":{"p":5}}"#, "$[?(@.p>2)]"),
            [r#"{"p":5}"#]
        );
    }
}
