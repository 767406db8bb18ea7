//! Editing a document at concrete paths found by evaluation.
//!
//! Evaluation borrows the document, so commands first turn matches into
//! owned paths ([`owned_paths`]), validate everything that can fail, and
//! only then edit: a command that answers an error leaves the document as
//! it was. When several edits change array lengths (ARRPOP, ARRTRIM,
//! ARRINSERT, DEL) they run deepest and highest-index first
//! ([`mutation_order`]), so that no edit moves a value another edit is
//! about to reach.

use super::doc::{Json, Object, Seg, Step, MAX_NESTING};
use super::eval::Match;
use moat_resp::Frame;
use std::cmp::Ordering;

/// The owned concrete paths of some matches.
pub fn owned_paths(matches: &[Match<'_>]) -> Vec<Vec<Seg>> {
    matches.iter().map(|m| owned(&m.path)).collect()
}

pub fn owned(path: &[Step<'_>]) -> Vec<Seg> {
    path.iter().copied().map(Seg::from).collect()
}

/// Refuses to place `value` `depth` levels below the root when the
/// document would nest deeper than [`MAX_NESTING`].
pub fn check_depth(depth: usize, value: &Json) -> Result<(), Frame> {
    if depth + value.nesting() > MAX_NESTING {
        Err(Frame::error("ERR recursion limit exceeded"))
    } else {
        Ok(())
    }
}

/// The value at a concrete path.
pub fn get_mut<'a>(root: &'a mut Json, path: &[Seg]) -> Option<&'a mut Json> {
    let mut node = root;
    for seg in path {
        node = match (node, seg) {
            (Json::Object(members), Seg::Key(k)) => members.get_mut(k.as_str())?,
            (Json::Array(items), Seg::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Removes the value at a non-root path; false if it was not there.
/// Object members keep the order of the others.
pub fn remove(root: &mut Json, path: &[Seg]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    match (get_mut(root, parent_path), last) {
        (Some(Json::Object(members)), Seg::Key(k)) => members.shift_remove(k.as_str()).is_some(),
        (Some(Json::Array(items)), Seg::Index(i)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// RedisJSON's order for edits that change array lengths: deeper paths
/// first; along a common prefix, member names before indexes, names in
/// ascending order, higher indexes first.
pub fn mutation_order(a: &[Seg], b: &[Seg]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let step = match (x, y) {
            (Seg::Key(p), Seg::Key(q)) => p.cmp(q),
            (Seg::Key(_), Seg::Index(_)) => Ordering::Less,
            (Seg::Index(_), Seg::Key(_)) => Ordering::Greater,
            (Seg::Index(i), Seg::Index(j)) => j.cmp(i),
        };
        if step != Ordering::Equal {
            return step;
        }
    }
    b.len().cmp(&a.len())
}

/// Indexes into `paths` in [`mutation_order`].
pub fn in_mutation_order(paths: &[Vec<Seg>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..paths.len()).collect();
    order.sort_by(|&i, &j| mutation_order(&paths[i], &paths[j]));
    order
}

/// The paths DEL removes: the matches without those inside another
/// match (deleting the ancestor deletes them), in mutation order.
pub fn deletion_set(mut paths: Vec<Vec<Seg>>) -> Vec<Vec<Seg>> {
    paths.sort_by(|a, b| mutation_order(a, b));
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q.len() < p.len() && p.starts_with(q)));
    paths
}

/// RFC 7396 merge, as RedisJSON applies it: a non-object patch replaces
/// the target; an object patch turns the target into an object if it was
/// not one, removes members patched with `null` and merges the others.
pub fn merge(target: &mut Json, patch: &Json) {
    let Json::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !matches!(target, Json::Object(_)) {
        *target = Json::Object(Object::new());
    }
    let Json::Object(members) = target else {
        return;
    };
    for (key, value) in patch_members {
        if matches!(value, Json::Null) {
            members.shift_remove(key.as_str());
        } else {
            merge(members.entry(key.clone()).or_insert(Json::Null), value);
        }
    }
}

/// An index as ARRPOP and ARRINDEX's start read it: negative counts from
/// the end (clamped to 0), positive is clamped to the last element.
pub fn clamp_start(index: i64, len: i64) -> i64 {
    if index < 0 {
        0.max(len.saturating_add(index))
    } else {
        index.min(len - 1)
    }
}

/// RedisJSON's `ArrayIndex::normalize` (ARRTRIM).
pub fn normalize(index: i64, len: i64) -> i64 {
    if index < 0 {
        len - len.min(index.saturating_neg())
    } else if len > 0 {
        (len - 1).min(index)
    } else {
        0
    }
}

/// ARRTRIM on one array; returns the new length.
pub fn trim(items: &mut Vec<Json>, start: i64, stop: i64) -> usize {
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let stop = normalize(stop, len);
    let start = if start < 0 || start < len {
        normalize(start, len)
    } else {
        stop + 1
    };
    if start > stop || len == 0 {
        items.clear();
    } else {
        let (start, stop) = (start as usize, stop as usize);
        items.truncate(stop + 1);
        items.drain(..start);
    }
    items.len()
}

#[cfg(test)]
mod tests {
    use super::super::doc::parse;
    use super::super::format::to_text;
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }

    #[test]
    fn mutation_order_puts_deep_and_high_first() {
        let mut paths = vec![
            vec![key("a")],
            vec![key("a"), Seg::Index(0)],
            vec![key("a"), Seg::Index(1)],
            vec![key("b")],
        ];
        paths.sort_by(|a, b| mutation_order(a, b));
        assert_eq!(
            paths,
            vec![
                vec![key("a"), Seg::Index(1)],
                vec![key("a"), Seg::Index(0)],
                vec![key("a")],
                vec![key("b")],
            ]
        );
    }

    #[test]
    fn deletion_drops_nested_matches_only() {
        let paths = vec![vec![key("a")], vec![key("a"), key("x")], vec![key("ab")]];
        assert_eq!(deletion_set(paths), vec![vec![key("a")], vec![key("ab")]]);
    }

    #[test]
    fn merge_follows_rfc_7396() {
        let mut doc = parse(br#"{"a":"b","c":{"d":"e","f":"g"}}"#).unwrap();
        merge(
            &mut doc,
            &parse(br#"{"a":"z","c":{"f":null},"n":{"x":null,"y":1}}"#).unwrap(),
        );
        assert_eq!(to_text(&doc), r#"{"a":"z","c":{"d":"e"},"n":{"y":1}}"#);
        merge(&mut doc, &parse(b"[1]").unwrap());
        assert_eq!(to_text(&doc), "[1]");
    }

    #[test]
    fn trim_follows_redisjson() {
        let mut items: Vec<Json> = (0..5).map(Json::Int).collect();
        assert_eq!(trim(&mut items.clone(), 1, 3), 3);
        assert_eq!(trim(&mut items.clone(), -2, -1), 2);
        assert_eq!(trim(&mut items.clone(), 5, 10), 0);
        assert_eq!(trim(&mut items.clone(), 3, 1), 0);
        assert_eq!(trim(&mut items, 0, 99), 5);
        assert_eq!(to_text(&Json::Array(items)), "[0,1,2,3,4]");
    }

    #[test]
    fn remove_keeps_member_order() {
        let mut doc = parse(br#"{"a":1,"b":2,"c":3}"#).unwrap();
        assert!(remove(&mut doc, &[key("a")]));
        assert!(!remove(&mut doc, &[key("a")]));
        assert_eq!(to_text(&doc), r#"{"b":2,"c":3}"#);
    }
}
