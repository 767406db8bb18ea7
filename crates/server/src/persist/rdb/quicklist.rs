//! Lists as Redis 3.2+ writes them: quicklist 1 (a count of ziplist
//! nodes) and quicklist 2 (Redis 7: nodes tagged PLAIN, one big element,
//! or PACKED, a listpack).

use super::error::RdbError;
use super::opcodes::{QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN};
use super::reader::Reader;
use super::{listpack, ziplist};

/// `RDB_TYPE_LIST_QUICKLIST`.
pub fn decode_v1(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, RdbError> {
    let nodes = r.count("quicklist node")?;
    let mut out = Vec::new();
    for _ in 0..nodes {
        let at = r.pos();
        let blob = r.string()?;
        let elements =
            ziplist::decode(&blob).map_err(|e| e.within(at, "quicklist ziplist node"))?;
        if elements.is_empty() {
            return Err(RdbError::new(at, "empty quicklist node"));
        }
        out.extend(elements);
    }
    Ok(out)
}

/// `RDB_TYPE_LIST_QUICKLIST_2`.
pub fn decode_v2(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, RdbError> {
    let nodes = r.count("quicklist node")?;
    let mut out = Vec::new();
    for _ in 0..nodes {
        let at = r.pos();
        let container = r.length()?;
        let blob = r.string()?;
        match container {
            QUICKLIST_NODE_PLAIN => out.push(blob),
            QUICKLIST_NODE_PACKED => {
                let elements =
                    listpack::decode(&blob).map_err(|e| e.within(at, "quicklist listpack node"))?;
                if elements.is_empty() {
                    return Err(RdbError::new(at, "empty quicklist node"));
                }
                out.extend(elements);
            }
            other => {
                return Err(RdbError::new(
                    at,
                    format!("unknown quicklist node container {other}"),
                ))
            }
        }
    }
    Ok(out)
}
