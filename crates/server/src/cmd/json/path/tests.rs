use super::*;
use proptest::prelude::*;

fn parsed(text: &str) -> JsonPath {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn legacy_paths_are_rewritten() {
    let cases = [
        (".", "$", true),
        (".a.b", "$.a.b", true),
        ("a[0]", "$.a[0]", true),
        ("[0]", "$.[0]", true),
        ("$", "$", false),
        ("$.a", "$.a", false),
        ("$[0]", "$[0]", false),
        ("$a", "$.$a", true),
        ("..a", "$..a", true),
    ];
    for (arg, text, legacy) in cases {
        let p = PathArg::new(arg.as_bytes());
        assert_eq!((p.text.as_str(), p.legacy), (text, legacy), "{arg}");
        assert_eq!(p.original, arg);
    }
    assert!(PathArg::new(b".").is_root());
    assert!(PathArg::new(b"$").is_root());
}

#[test]
fn the_dialect_parses() {
    for text in [
        "$",
        "$.a",
        "$.a.b",
        "$['a']",
        "$[\"a b\"]['c']",
        "$.*",
        "$[*]",
        "$..a",
        "$..*",
        "$..[0]",
        "$[0]",
        "$[-1]",
        "$[0,2]",
        "$[1:3]",
        "$[:3]",
        "$[1:]",
        "$[:]",
        "$[::2]",
        "$[1:5:2]",
        "$.[1]",
        "$[?(@.price<10)]",
        "$[?@.price<10]",
        "$[?(@.a==1 && @.b!='x' || @.c>=2.5)]",
        "$[?((@.a>1 || @.b) && $.c)]",
        "$[?(@.a =~ \"^x.*\")]",
        "$[?(@==null)]",
        "$[?(@.flag==true)]",
        "$.a-b.c_d.$e.x:y",
        "$ .a",
        "$[ 0 , 1 ]",
        "$[?( @.a < 1 )]",
    ] {
        parsed(text);
    }
}

#[test]
fn trees_have_the_expected_shape() {
    assert_eq!(
        parsed("$..a[0]").segments,
        vec![
            Segment::Descendant(Selector::Name("a".into())),
            Segment::Child(Selector::Indexes(vec![0])),
        ]
    );
    assert_eq!(
        parsed("$[1:3]").segments,
        vec![Segment::Child(Selector::Slice {
            start: Some(1),
            end: Some(3),
            step: None
        })]
    );
}

#[test]
fn bad_paths_are_rejected_with_a_position() {
    for text in [
        "$.",
        "$[",
        "$[0",
        "$..",
        "$[?(@.a<)]",
        "$[01]",
        "$.a b",
        "$[1,'a']",
        "$['a]",
        "$[\"\\x\"]",
        "$[::0]",
        "x",
    ] {
        let error = parse(text).expect_err(text);
        assert!(
            error.starts_with("Error occurred on position "),
            "{text}: {error}"
        );
    }
    assert_eq!(
        parse("$.a[").unwrap_err(),
        "Error occurred on position 4, \"$.a[ <<<<----\", expected one of the following: \
         ['start:end:steps'], '<number>[,<number>,...]', '<string>[,<string>,...]', '*'."
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("$[?{}@{}]", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep).is_err());
    let filters = format!("$[?@{}", "[?@".repeat(10_000));
    assert!(parse(&filters).is_err());
    assert!(parse(&format!("${}", "[?@]".repeat(10_000))).is_err());
    assert!(parse(&format!("${}", ".a".repeat(200))).is_ok());
    let fine = format!("$[?{}@{}]", "(".repeat(20), ")".repeat(20));
    assert!(parse(&fine).is_ok());
}

#[test]
fn quoted_names_unescape() {
    assert_eq!(
        parsed(r#"$["a\"b\\c'd"]"#).segments,
        vec![Segment::Child(Selector::Names(vec![r#"a"b\c'd"#.into()]))]
    );
    assert_eq!(
        parsed(r#"$['a\'b"c']"#).segments,
        vec![Segment::Child(Selector::Names(vec![r#"a'b"c"#.into()]))]
    );
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_$:-]{1,6}"
}

fn any_text() -> impl Strategy<Value = String> {
    // Quoted names may hold anything, quotes and backslashes included.
    "[ -~é]{0,6}"
}

fn selector() -> impl Strategy<Value = Selector> {
    let leaf = prop_oneof![
        name().prop_map(Selector::Name),
        Just(Selector::Wildcard),
        prop::collection::vec(any_text(), 1..3).prop_map(Selector::Names),
        prop::collection::vec(-20i64..20, 1..3).prop_map(Selector::Indexes),
        (
            prop::option::of(-9i64..9),
            prop::option::of(-9i64..9),
            prop::option::of(1u64..4)
        )
            .prop_map(|(start, end, step)| Selector::Slice { start, end, step }),
    ];
    prop_oneof![4 => leaf, 1 => filter().prop_map(Selector::Filter)]
}

fn simple_segments() -> impl Strategy<Value = Vec<Segment>> {
    prop::collection::vec(
        prop_oneof![
            name().prop_map(|n| Segment::Child(Selector::Name(n))),
            prop::collection::vec(-5i64..5, 1..3)
                .prop_map(|i| Segment::Child(Selector::Indexes(i))),
            name().prop_map(|n| Segment::Descendant(Selector::Name(n))),
        ],
        0..3,
    )
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![
        simple_segments().prop_map(Term::Current),
        simple_segments().prop_map(Term::Root),
        any::<i64>().prop_map(Term::Int),
        (-1e6f64..1e6).prop_map(Term::Float),
        any_text().prop_map(Term::Str),
        any::<bool>().prop_map(Term::Bool),
        Just(Term::Null),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
        Just(CompareOp::Match),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    let item = prop_oneof![
        term().prop_map(FilterItem::Test),
        (term(), op(), term()).prop_map(|(a, o, b)| FilterItem::Compare(a, o, b)),
    ];
    let flat = (
        item.clone(),
        prop::collection::vec(
            (prop_oneof![Just(Relation::And), Just(Relation::Or)], item),
            0..3,
        ),
    )
        .prop_map(|(first, rest)| Filter { first, rest });
    flat.prop_recursive(2, 8, 3, |inner| {
        inner.prop_map(|f| Filter {
            first: FilterItem::Group(Box::new(f)),
            rest: Vec::new(),
        })
    })
}

fn json_path() -> impl Strategy<Value = JsonPath> {
    prop::collection::vec(
        prop_oneof![
            selector().prop_map(Segment::Child),
            selector().prop_map(Segment::Descendant),
        ],
        0..5,
    )
    .prop_map(|segments| JsonPath { segments })
}

proptest! {
    /// A path prints in a canonical form that parses back to the same
    /// path and prints the same again.
    #[test]
    fn printed_paths_parse_back(path in json_path()) {
        let text = path.to_string();
        let again = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&again, &path, "{}", text);
        prop_assert_eq!(again.to_string(), text);
    }

    /// Arbitrary input never panics the parser, and whatever parses
    /// prints back to text that parses to the same path.
    #[test]
    fn parsing_is_total(text in "\\$[\\[\\]().*?@$'\"a-c0-9:,<>=!&| -]{0,16}") {
        if let Ok(path) = parse(&text) {
            let printed = path.to_string();
            prop_assert_eq!(parse(&printed).ok(), Some(path), "{}", printed);
        }
    }
}
