//! Path syntax: RedisJSON's JSONPath dialect and the legacy paths.
//!
//! A path argument starting with `$` followed by nothing, `.` or `[` is
//! JSONPath; anything else is a legacy path, which RedisJSON rewrites
//! into JSONPath (`.` → `$`, `.a.b` → `$.a.b`, `a[0]` → `$.a[0]`) and
//! then evaluates with the same engine, keeping only the first match.
//!
//! The grammar is RedisJSON's (a pest grammar in its `json_path` crate):
//! `.name` with names of `[A-Za-z0-9-_`~+#%$^/:]`, `['a',"b"]`, `[*]` and
//! `.*`, `..` recursive descent, `[0,-1]` index lists, `[start:end:step]`
//! slices, `[?(...)]` filters of comparisons joined by `&&` / `||` with
//! parentheses, terms being `@...`, `$...`, numbers, strings, `true`,
//! `false`, `null`. Spaces are allowed between tokens.

use std::fmt;

/// A parsed JSONPath: `$` followed by segments.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.sel` or `[sel]`: the selector applied to the current values.
    Child(Selector),
    /// `..sel`: the selector applied to the current values and all their
    /// descendants, in document (pre-)order.
    Descendant(Selector),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// `.name`
    Name(String),
    /// `*`
    Wildcard,
    /// `['a', "b"]`
    Names(Vec<String>),
    /// `[0, -1]`
    Indexes(Vec<i64>),
    /// `[start:end:step]`
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<u64>,
    },
    /// `[?...]`
    Filter(Filter),
}

/// Filter items joined by `&&` / `||` (`&&` binds tighter).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub first: FilterItem,
    pub rest: Vec<(Relation, FilterItem)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterItem {
    /// A lone term: true when it evaluates to something (`@.a` exists).
    Test(Term),
    Compare(Term, CompareOp, Term),
    /// `( ... )`
    Group(Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`: regular expression match.
    Match,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `@` and a relative path.
    Current(Vec<Segment>),
    /// `$` and a path from the document root.
    Root(Vec<Segment>),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

/// A path argument as a command received it.
#[derive(Debug, Clone, PartialEq)]
pub struct PathArg {
    /// The argument as written (RedisJSON quotes some errors with it).
    pub original: String,
    /// The JSONPath text evaluated (legacy paths rewritten).
    pub text: String,
    pub legacy: bool,
}

impl PathArg {
    /// RedisJSON's `Path::new`: decides legacy or JSONPath and rewrites
    /// legacy paths.
    pub fn new(arg: &[u8]) -> PathArg {
        let original = String::from_utf8_lossy(arg).into_owned();
        let bytes = original.as_bytes();
        let is_jsonpath =
            bytes.first() == Some(&b'$') && (bytes.len() < 2 || matches!(bytes[1], b'.' | b'['));
        if is_jsonpath {
            return PathArg {
                text: original.clone(),
                original,
                legacy: false,
            };
        }
        let text = if original == "." {
            "$".to_owned()
        } else if original.starts_with('.') {
            format!("${original}")
        } else {
            format!("$.{original}")
        };
        PathArg {
            original,
            text,
            legacy: true,
        }
    }

    /// The legacy root `.`, the default path of most commands.
    pub fn legacy_root() -> PathArg {
        PathArg::new(b".")
    }

    /// Whether this is the document root (`$` or `.`).
    pub fn is_root(&self) -> bool {
        self.text == "$"
    }

    pub fn compile(&self) -> Result<JsonPath, String> {
        parse(&self.text)
    }
}

/// Characters of an unquoted member name.
fn is_literal_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_' | b'`' | b'~' | b'+' | b'#' | b'%' | b'$' | b'^' | b'/' | b':'
        )
}

/// Parses a JSONPath. The error text is RedisJSON's frame around a
/// description of what was expected at the failing position, named as
/// RedisJSON names its grammar rules (bare punctuation such as `[` is not
/// a rule there, so it is not listed).
pub fn parse(text: &str) -> Result<JsonPath, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        furthest: 0,
        expected: Vec::new(),
        depth: 0,
    };
    match p.query() {
        Some(path) => Ok(path),
        None => Err(p.error_text(text)),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    /// The furthest position a failure was seen at and what was expected
    /// there, for the error message.
    furthest: usize,
    expected: Vec<&'static str>,
    /// Open filters and parentheses; bounded so that no input can nest
    /// deep enough to exhaust the stack of the parser or the evaluator.
    depth: usize,
}

/// How deeply filters and parenthesized groups may nest.
const MAX_NESTING: usize = 32;

/// How many segments one path may have (evaluation recurses per
/// segment, and a filter on a scalar does not descend).
const MAX_SEGMENTS: usize = 256;

impl Parser<'_> {
    fn error_text(&self, text: &str) -> String {
        let pos = self.furthest.min(text.len());
        let mut expected = self.expected.clone();
        expected.dedup();
        let message = if expected.is_empty() {
            "parsing error".to_owned()
        } else {
            format!("expected one of the following: {}", expected.join(", "))
        };
        // Split on a character boundary: positions are byte offsets.
        let split = (0..=pos)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let framed = if split == text.len() {
            format!("\"{text} <<<<----\", {message}.")
        } else {
            format!(
                "\"{} ---->>>> {}\", {message}.",
                &text[..split],
                &text[split..]
            )
        };
        format!("Error occurred on position {split}, {framed}")
    }

    fn expect(&mut self, what: &'static str) {
        if self.pos > self.furthest {
            self.furthest = self.pos;
            self.expected.clear();
        }
        if self.pos == self.furthest && !self.expected.contains(&what) {
            self.expected.push(what);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.s[self.pos..].starts_with(token.as_bytes()) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn query(&mut self) -> Option<JsonPath> {
        if !self.eat("$") {
            self.expect("'$'");
            return None;
        }
        let segments = self.segments(true);
        self.skip_ws();
        if self.pos != self.s.len() {
            self.expect("'..'");
            self.expect("EOI");
            return None;
        }
        Some(JsonPath { segments })
    }

    /// Segments after `$` or `@`; `allow_bare` admits a first member name
    /// or `*` without a dot, as the grammar's `first_element` does.
    fn segments(&mut self, allow_bare: bool) -> Vec<Segment> {
        let mut segments = Vec::new();
        while segments.len() < MAX_SEGMENTS {
            let save = self.pos;
            self.skip_ws();
            let bare = allow_bare && segments.is_empty();
            match self.segment(bare) {
                Some(segment) => segments.push(segment),
                None => {
                    self.pos = save;
                    return segments;
                }
            }
        }
        segments
    }

    fn segment(&mut self, bare: bool) -> Option<Segment> {
        let start = self.pos;
        if self.eat("..") {
            self.skip_ws();
            if let Some(name) = self.literal() {
                return Some(Segment::Descendant(Selector::Name(name)));
            }
            if self.eat("*") {
                return Some(Segment::Descendant(Selector::Wildcard));
            }
            if self.peek() == Some(b'[') {
                if let Some(sel) = self.bracket() {
                    return Some(Segment::Descendant(sel));
                }
            } else {
                self.expect("<string>");
                self.expect("'*'");
            }
            self.pos = start;
            return None;
        }
        if self.eat(".") {
            self.skip_ws();
            if let Some(name) = self.literal() {
                return Some(Segment::Child(Selector::Name(name)));
            }
            if self.eat("*") {
                return Some(Segment::Child(Selector::Wildcard));
            }
            if self.peek() == Some(b'[') {
                if let Some(sel) = self.bracket() {
                    return Some(Segment::Child(sel));
                }
            } else {
                self.expect("<string>");
                self.expect("'*'");
            }
            self.pos = start;
            return None;
        }
        if self.peek() == Some(b'[') {
            if let Some(sel) = self.bracket() {
                return Some(Segment::Child(sel));
            }
            self.pos = start;
            return None;
        }
        if bare {
            if let Some(name) = self.literal() {
                return Some(Segment::Child(Selector::Name(name)));
            }
            if self.eat("*") {
                return Some(Segment::Child(Selector::Wildcard));
            }
        }
        None
    }

    fn literal(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_literal_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        Some(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    /// `[ ... ]`
    fn bracket(&mut self) -> Option<Selector> {
        let start = self.pos;
        if !self.eat("[") {
            return None;
        }
        self.skip_ws();
        let inner = self.bracket_inner();
        if let Some(sel) = inner {
            self.skip_ws();
            if self.eat("]") {
                return Some(sel);
            }
            self.expect("']'");
        }
        self.pos = start;
        None
    }

    fn bracket_inner(&mut self) -> Option<Selector> {
        let start = self.pos;
        if let Some(slice) = self.slice() {
            return Some(slice);
        }
        self.pos = start;
        if let Some(first) = self.number() {
            let mut indexes = vec![first];
            loop {
                let save = self.pos;
                self.skip_ws();
                if !self.eat(",") {
                    self.pos = save;
                    break;
                }
                self.skip_ws();
                match self.number() {
                    Some(n) => indexes.push(n),
                    None => {
                        self.expect("'<number>'");
                        return None;
                    }
                }
            }
            return Some(Selector::Indexes(indexes));
        }
        if let Some(first) = self.string() {
            let mut names = vec![first];
            loop {
                let save = self.pos;
                self.skip_ws();
                if !self.eat(",") {
                    self.pos = save;
                    break;
                }
                self.skip_ws();
                match self.string() {
                    Some(s) => names.push(s),
                    None => {
                        self.expect("<string>");
                        return None;
                    }
                }
            }
            return Some(Selector::Names(names));
        }
        if self.eat("*") {
            return Some(Selector::Wildcard);
        }
        if self.eat("?") {
            self.skip_ws();
            return self.nested(Self::filter).map(Selector::Filter);
        }
        self.expect("['start:end:steps']");
        self.expect("'<number>[,<number>,...]'");
        self.expect("'<string>[,<string>,...]'");
        self.expect("'*'");
        None
    }

    /// `start:end:step` with every part optional (at least the first `:`).
    fn slice(&mut self) -> Option<Selector> {
        let start = self.number();
        self.skip_ws();
        if !self.eat(":") {
            return None;
        }
        self.skip_ws();
        let end = self.number();
        self.skip_ws();
        let mut step = None;
        if self.eat(":") {
            self.skip_ws();
            step = self.positive_number();
        }
        Some(Selector::Slice { start, end, step })
    }

    /// `-?[1-9][0-9]*` or `-?[0-9]` as an i64 (saturating, like a value
    /// too large to index anything).
    fn number(&mut self) -> Option<i64> {
        let start = self.pos;
        let negative = self.eat("-");
        let digits_start = self.pos;
        match self.peek() {
            Some(b'1'..=b'9') => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            Some(b'0') => self.pos += 1,
            _ => {
                self.pos = start;
                return None;
            }
        }
        let digits = std::str::from_utf8(&self.s[digits_start..self.pos]).ok()?;
        let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
        Some(if negative { -magnitude } else { magnitude })
    }

    fn positive_number(&mut self) -> Option<u64> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'1'..=b'9')) {
            return None;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
        Some(digits.parse().unwrap_or(u64::MAX))
    }

    /// A quoted string; inside `"..."` only `\"` and `\\` are escapes,
    /// inside `'...'` only `\'` and `\\`.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return None,
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.expect("<string>");
                    self.pos = start;
                    return None;
                }
                Some(b'\\') => match self.s.get(self.pos + 1) {
                    Some(&c) if c == quote || c == b'\\' => {
                        out.push(c);
                        self.pos += 2;
                    }
                    _ => {
                        self.pos += 1;
                        self.expect("<string>");
                        self.pos = start;
                        return None;
                    }
                },
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// Runs `parse` one nesting level deeper, failing past [`MAX_NESTING`].
    fn nested<T>(&mut self, parse: fn(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_NESTING {
            self.expect("less nesting");
            return None;
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn filter(&mut self) -> Option<Filter> {
        let first = self.filter_item()?;
        let mut rest = Vec::new();
        loop {
            let save = self.pos;
            self.skip_ws();
            let relation = if self.eat("&&") {
                Relation::And
            } else if self.eat("||") {
                Relation::Or
            } else {
                self.pos = save;
                break;
            };
            self.skip_ws();
            rest.push((relation, self.filter_item()?));
        }
        Some(Filter { first, rest })
    }

    fn filter_item(&mut self) -> Option<FilterItem> {
        let start = self.pos;
        if let Some(left) = self.term() {
            let save = self.pos;
            self.skip_ws();
            if let Some(op) = self.compare_op() {
                self.skip_ws();
                return match self.term() {
                    Some(right) => Some(FilterItem::Compare(left, op, right)),
                    None => {
                        self.expect("<term>");
                        self.pos = start;
                        None
                    }
                };
            }
            self.pos = save;
            return Some(FilterItem::Test(left));
        }
        if self.eat("(") {
            self.skip_ws();
            if let Some(inner) = self.nested(Self::filter) {
                self.skip_ws();
                if self.eat(")") {
                    return Some(FilterItem::Group(Box::new(inner)));
                }
                self.expect("')'");
            }
        } else {
            self.expect("'@'");
            self.expect("'$'");
            self.expect("'('");
            self.expect("<term>");
        }
        self.pos = start;
        None
    }

    fn compare_op(&mut self) -> Option<CompareOp> {
        for (token, op) in [
            (">=", CompareOp::Ge),
            (">", CompareOp::Gt),
            ("<=", CompareOp::Le),
            ("<", CompareOp::Lt),
            ("==", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            ("=~", CompareOp::Match),
        ] {
            if self.eat(token) {
                return Some(op);
            }
        }
        None
    }

    fn term(&mut self) -> Option<Term> {
        if self.eat("@") {
            return Some(Term::Current(self.segments(true)));
        }
        if self.eat("$") {
            return Some(Term::Root(self.segments(true)));
        }
        let start = self.pos;
        if self.number().is_some() {
            if self.peek() == Some(b'.') && self.s.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
            {
                self.pos += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
                return text.parse().ok().map(Term::Float);
            }
            let text = std::str::from_utf8(&self.s[start..self.pos]).ok()?;
            // Integers beyond i64 are decimals RedisJSON reads as floats.
            return Some(match text.parse::<i64>() {
                Ok(int) => Term::Int(int),
                Err(_) => Term::Float(text.parse().ok()?),
            });
        }
        if let Some(s) = self.string() {
            return Some(Term::Str(s));
        }
        for (word, term) in [
            ("true", Term::Bool(true)),
            ("false", Term::Bool(false)),
            ("null", Term::Null),
        ] {
            if self.eat(word) {
                return Some(term);
            }
        }
        None
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        write_segments(f, &self.segments)
    }
}

fn write_segments(f: &mut fmt::Formatter<'_>, segments: &[Segment]) -> fmt::Result {
    for segment in segments {
        match segment {
            Segment::Child(Selector::Name(n)) => write!(f, ".{n}")?,
            Segment::Child(Selector::Wildcard) => f.write_str(".*")?,
            Segment::Child(sel) => write_bracket(f, sel)?,
            Segment::Descendant(Selector::Name(n)) => write!(f, "..{n}")?,
            Segment::Descendant(Selector::Wildcard) => f.write_str("..*")?,
            Segment::Descendant(sel) => {
                f.write_str("..")?;
                write_bracket(f, sel)?;
            }
        }
    }
    Ok(())
}

fn write_bracket(f: &mut fmt::Formatter<'_>, sel: &Selector) -> fmt::Result {
    f.write_str("[")?;
    match sel {
        Selector::Name(n) => write_quoted(f, n)?,
        Selector::Wildcard => f.write_str("*")?,
        Selector::Names(names) => {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write_quoted(f, n)?;
            }
        }
        Selector::Indexes(indexes) => {
            for (i, n) in indexes.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{n}")?;
            }
        }
        Selector::Slice { start, end, step } => {
            if let Some(s) = start {
                write!(f, "{s}")?;
            }
            f.write_str(":")?;
            if let Some(e) = end {
                write!(f, "{e}")?;
            }
            if let Some(st) = step {
                write!(f, ":{st}")?;
            }
        }
        Selector::Filter(filter) => write!(f, "?{filter}")?,
    }
    f.write_str("]")
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        for (relation, item) in &self.rest {
            let token = match relation {
                Relation::And => "&&",
                Relation::Or => "||",
            };
            write!(f, "{token}{item}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FilterItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterItem::Test(t) => write!(f, "{t}"),
            FilterItem::Compare(a, op, b) => {
                let token = match op {
                    CompareOp::Eq => "==",
                    CompareOp::Ne => "!=",
                    CompareOp::Lt => "<",
                    CompareOp::Le => "<=",
                    CompareOp::Gt => ">",
                    CompareOp::Ge => ">=",
                    CompareOp::Match => "=~",
                };
                write!(f, "{a}{token}{b}")
            }
            FilterItem::Group(inner) => write!(f, "({inner})"),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Current(segments) => {
                f.write_str("@")?;
                write_segments(f, segments)
            }
            Term::Root(segments) => {
                f.write_str("$")?;
                write_segments(f, segments)
            }
            Term::Int(n) => write!(f, "{n}"),
            // Always with a fraction, so it reads back as a float.
            Term::Float(x) if x.fract() == 0.0 => write!(f, "{x:.1}"),
            Term::Float(x) => write!(f, "{x}"),
            Term::Str(s) => write_quoted(f, s),
            Term::Bool(b) => write!(f, "{b}"),
            Term::Null => f.write_str("null"),
        }
    }
}

#[cfg(test)]
mod tests;
