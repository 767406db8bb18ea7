//! Lists: written as Redis 7.0 and 7.2 write them, `RDB_TYPE_LIST_QUICKLIST_2`
//! with one node per quicklist node (a listpack list is one node), an
//! element too big for a node of its own as a PLAIN node; loaded from any
//! list encoding into the encoding pushing the elements would give
//! (Redis 7.2 loads into a quicklist and keeps a listpack when it fits
//! one node within the limits, `listTypeTryConversion`).

use crate::db::{End, ListValue, Thresholds, Value};
use crate::persist::rdb::opcodes::{
    QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, TYPE_LIST_QUICKLIST_2,
};
use crate::persist::rdb::{listpack, RdbWriter};
use std::io::{self, Write};

/// Above this size an element alone in a node is written as PLAIN: the
/// large-element threshold of Redis 7.2's default `list-max-listpack-size`
/// (8 KB nodes), and how moat keeps such elements (one per node).
const PLAIN_ABOVE: usize = 8192;

pub fn type_code(_: &ListValue) -> u8 {
    TYPE_LIST_QUICKLIST_2
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, list: &ListValue) -> io::Result<()> {
    let nodes: Vec<_> = list.nodes().into_iter().filter(|n| !n.is_empty()).collect();
    w.length(nodes.len() as u64)?;
    for node in nodes {
        match node.get(0) {
            Some(only) if node.len() == 1 && only.len() > PLAIN_ABOVE => {
                w.length(QUICKLIST_NODE_PLAIN)?;
                w.string(only)?;
            }
            _ => {
                w.length(QUICKLIST_NODE_PACKED)?;
                w.string(&listpack::encode(node.iter()))?;
            }
        }
    }
    Ok(())
}

pub fn build(elements: Vec<Vec<u8>>, limits: &Thresholds) -> Result<Value, String> {
    if elements.is_empty() {
        return Err("empty list".into());
    }
    let mut list = ListValue::default();
    list.prepare_for(elements.iter().map(Vec::len), limits);
    for element in &elements {
        list.push(End::Tail, element, limits);
    }
    Ok(Value::List(list))
}
