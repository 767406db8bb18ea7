//! Small rewrites of reply frames, the building blocks of the normalisers
//! in [`crate::accepted_differences`].
//!
//! Field-value replies come as RESP3 maps or as their RESP2 flat arrays;
//! the helpers treat both alike so that one normaliser serves both
//! protocols.

use crate::render::render;
use bytes::Bytes;
use moat_resp::Frame;

/// Rewrites the text of a string reply; other replies are left alone.
pub(crate) fn map_text(reply: Frame, rewrite: impl Fn(&str) -> String) -> Frame {
    map_text_dyn(reply, &rewrite)
}

fn map_text_dyn(reply: Frame, rewrite: &dyn Fn(&str) -> String) -> Frame {
    let apply = |bytes: &Bytes| Bytes::from(rewrite(&String::from_utf8_lossy(bytes)));
    match reply {
        Frame::Bulk(text) => Frame::Bulk(apply(&text)),
        Frame::Simple(text) => Frame::Simple(apply(&text)),
        Frame::Verbatim { format, text } => Frame::Verbatim {
            format,
            text: apply(&text),
        },
        Frame::Array(items) => Frame::Array(
            items
                .into_iter()
                .map(|item| map_text_dyn(item, rewrite))
                .collect(),
        ),
        other => other,
    }
}

pub(crate) fn remove_word(line: &str, word: &str) -> String {
    line.split(' ')
        .filter(|w| *w != word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Applies `rewrite` to each element of an array, set or push.
pub(crate) fn map_items(reply: Frame, rewrite: impl Fn(Frame) -> Frame) -> Frame {
    match reply {
        Frame::Array(items) => Frame::Array(items.into_iter().map(rewrite).collect()),
        Frame::Set(items) => Frame::Set(items.into_iter().map(rewrite).collect()),
        Frame::Push(items) => Frame::Push(items.into_iter().map(rewrite).collect()),
        other => other,
    }
}

pub(crate) fn without_items(reply: Frame, drop: impl Fn(&Frame) -> bool) -> Frame {
    let keep = |items: Vec<Frame>| items.into_iter().filter(|i| !drop(i)).collect();
    match reply {
        Frame::Array(items) => Frame::Array(keep(items)),
        Frame::Set(items) => Frame::Set(keep(items)),
        other => other,
    }
}

/// A field-value reply seen as pairs: a RESP3 map, or its RESP2 flat array.
/// Anything else (an odd-length array is not a field list) comes back as `Err`.
fn into_pairs(reply: Frame) -> Result<(Vec<(Frame, Frame)>, bool), Frame> {
    match reply {
        Frame::Map(pairs) => Ok((pairs, true)),
        Frame::Array(items) if items.len() % 2 == 0 => {
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut items = items.into_iter();
            while let (Some(key), Some(value)) = (items.next(), items.next()) {
                pairs.push((key, value));
            }
            Ok((pairs, false))
        }
        other => Err(other),
    }
}

fn from_pairs(pairs: Vec<(Frame, Frame)>, was_map: bool) -> Frame {
    if was_map {
        Frame::Map(pairs)
    } else {
        Frame::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
    }
}

fn field_name(key: &Frame) -> Option<&[u8]> {
    match key {
        Frame::Bulk(name) | Frame::Simple(name) => Some(name),
        _ => None,
    }
}

fn is_one_of(key: &Frame, names: &[&str]) -> bool {
    field_name(key).is_some_and(|name| names.iter().any(|n| n.as_bytes() == name))
}

/// Rewrites the values of the named fields of a field-value reply.
pub(crate) fn map_fields(reply: Frame, names: &[&str], rewrite: impl Fn(Frame) -> Frame) -> Frame {
    match into_pairs(reply) {
        Ok((pairs, was_map)) => from_pairs(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    if is_one_of(&k, names) {
                        (k, rewrite(v))
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            was_map,
        ),
        Err(other) => other,
    }
}

/// Rewrites the value of every field of a field-value reply.
pub(crate) fn map_values(reply: Frame, rewrite: &dyn Fn(Frame) -> Frame) -> Frame {
    match into_pairs(reply) {
        Ok((pairs, was_map)) => from_pairs(
            pairs.into_iter().map(|(k, v)| (k, rewrite(v))).collect(),
            was_map,
        ),
        Err(other) => other,
    }
}

pub(crate) fn without_fields(reply: Frame, names: &[&str]) -> Frame {
    match into_pairs(reply) {
        Ok((pairs, was_map)) => from_pairs(
            pairs
                .into_iter()
                .filter(|(k, _)| !is_one_of(k, names))
                .collect(),
            was_map,
        ),
        Err(other) => other,
    }
}

/// Orders the elements of an unordered collection reply by their rendering.
pub(crate) fn sort_items(reply: Frame) -> Frame {
    let sorted = |mut items: Vec<Frame>| {
        items.sort_by_cached_key(render);
        items
    };
    match reply {
        Frame::Array(items) => Frame::Array(sorted(items)),
        Frame::Set(items) => Frame::Set(sorted(items)),
        other => other,
    }
}

/// Orders the pairs of a field-value reply by field.
pub(crate) fn sort_pairs(reply: Frame) -> Frame {
    match into_pairs(reply) {
        Ok((mut pairs, was_map)) => {
            pairs.sort_by_cached_key(|(k, _)| render(k));
            from_pairs(pairs, was_map)
        }
        Err(other) => other,
    }
}

/// Orders the elements of a SCAN-family page (`[cursor, [elements]]`),
/// leaving the cursor as it is.
pub(crate) fn sort_scan_page(reply: Frame) -> Frame {
    match reply {
        Frame::Array(mut page) if page.len() == 2 => {
            let items = page.pop().map(sort_items);
            page.extend(items);
            Frame::Array(page)
        }
        other => other,
    }
}
