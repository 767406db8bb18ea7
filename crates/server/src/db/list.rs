//! List values: one listpack while small, a quicklist (a deque of
//! listpack nodes) once big, as in Redis 7.2.
//!
//! Sizes are measured the way Redis measures them: node sizes in listpack
//! bytes (estimated per element with [`listpack_entry_size`]) against
//! `list-max-listpack-size`, so that `OBJECT ENCODING` switches where
//! Redis's does. Elements are never stored individually on the heap: each
//! node is one [`Packed`] buffer.

use super::packed::{listpack_entry_size, Packed, LISTPACK_OVERHEAD};
use super::thresholds::Thresholds;
use std::collections::VecDeque;

/// Redis's `SIZE_ESTIMATE_OVERHEAD`: slack added to an element's size
/// when deciding whether it fits a node.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;

#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Node {
    pub(super) items: Packed,
    /// Listpack bytes this node would take in Redis.
    lp_bytes: usize,
}

impl Node {
    fn with(element: &[u8]) -> Node {
        Node::of(std::slice::from_ref(&element))
    }

    /// A node holding `elements` in order.
    fn of<E: AsRef<[u8]>>(elements: &[E]) -> Node {
        let mut node = Node {
            items: Packed::new(),
            lp_bytes: LISTPACK_OVERHEAD,
        };
        for element in elements {
            node.push_back(element.as_ref());
        }
        node
    }

    fn push_back(&mut self, element: &[u8]) {
        self.items.push(&[element]);
        self.lp_bytes += listpack_entry_size(element);
    }

    fn insert(&mut self, index: usize, element: &[u8]) {
        self.items.insert(index, &[element]);
        self.lp_bytes += listpack_entry_size(element);
    }

    fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        let element = self.items.get(index)?.to_vec();
        self.items.remove_range(index, 1);
        self.lp_bytes -= listpack_entry_size(&element);
        Some(element)
    }

    fn replace(&mut self, index: usize, element: &[u8]) {
        if let Some(span) = self.items.span_of(index) {
            if let Some(old) = self.items.get(index) {
                self.lp_bytes -= listpack_entry_size(old);
            }
            self.items.splice(span.start, span.end, 1, &[element]);
            self.lp_bytes += listpack_entry_size(element);
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// The `quicklist` representation: a deque of listpack nodes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quick {
    pub(super) nodes: VecDeque<Node>,
    len: usize,
}

/// A list: one listpack inline while small (two words, one heap block),
/// a boxed quicklist once big.
#[derive(Debug, Clone, PartialEq)]
pub enum ListValue {
    Small(Packed),
    Quick(Box<Quick>),
}

impl Default for ListValue {
    fn default() -> ListValue {
        ListValue::Small(Packed::new())
    }
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl Quick {
    fn len(&self) -> usize {
        self.len
    }

    /// Whether `node` may take one more element of `len` bytes
    /// (`_quicklistNodeAllowInsert`); a listpack takes everything.
    fn node_allows(&self, node: &Node, len: usize, limits: &Thresholds) -> bool {
        if is_large_element(len, limits) {
            return false;
        }
        !limits.list_exceeds(
            node.lp_bytes + len + SIZE_ESTIMATE_OVERHEAD,
            node.len() + 1,
            false,
        )
    }

    pub fn push(&mut self, end: End, element: &[u8], limits: &Thresholds) {
        let fits = match end {
            End::Head => self.nodes.front(),
            End::Tail => self.nodes.back(),
        }
        .is_some_and(|node| self.node_allows(node, element.len(), limits));
        match (end, fits) {
            (End::Head, true) => {
                if let Some(node) = self.nodes.front_mut() {
                    node.insert(0, element);
                }
            }
            (End::Tail, true) => {
                if let Some(node) = self.nodes.back_mut() {
                    node.push_back(element);
                }
            }
            (End::Head, false) => self.nodes.push_front(Node::with(element)),
            (End::Tail, false) => self.nodes.push_back(Node::with(element)),
        }
        self.len += 1;
    }

    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let (node, index) = match end {
            End::Head => (0, 0),
            End::Tail => {
                let last = self.nodes.len().checked_sub(1)?;
                (last, self.nodes[last].len().checked_sub(1)?)
            }
        };
        self.remove_at(node, index)
    }

    fn remove_at(&mut self, node: usize, index: usize) -> Option<Vec<u8>> {
        let element = self.nodes.get_mut(node)?.remove(index)?;
        if self.nodes[node].len() == 0 {
            self.nodes.remove(node);
        }
        self.len -= 1;
        Some(element)
    }

    /// The node and position of element `index` (0-based from the head).
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        // Walk from the nearer end.
        if index < self.len / 2 {
            let mut rest = index;
            for (i, node) in self.nodes.iter().enumerate() {
                if rest < node.len() {
                    return Some((i, rest));
                }
                rest -= node.len();
            }
        } else {
            let mut rest = self.len - 1 - index;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                if rest < node.len() {
                    return Some((i, node.len() - 1 - rest));
                }
                rest -= node.len();
            }
        }
        None
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (node, at) = self.locate(index)?;
        self.nodes[node].items.get(at)
    }

    /// Replaces element `index`; false when out of range. As Redis's
    /// `quicklistReplaceEntry`: in place, unless a large element replaces
    /// one in a packed node (the node is split around a plain node of its
    /// own, then neighbours merge where they fit) or a plain node's element
    /// is replaced by a small one (inserted after it, the plain node
    /// dropped).
    pub fn set(&mut self, index: usize, element: &[u8], limits: &Thresholds) -> bool {
        let Some((node, at)) = self.locate(index) else {
            return false;
        };
        let large = is_large_element(element.len(), limits);
        let plain = self.is_plain(node, limits);
        if large == plain {
            self.nodes[node].replace(at, element);
        } else if plain {
            // `quicklistInsertAfter` at the plain node's tail: into the
            // head of the next node when it has room, else a node of its
            // own; then the plain node goes.
            self.nodes.remove(node);
            match self.nodes.get(node) {
                Some(next)
                    if !self.is_plain(node, limits)
                        && self.node_allows(next, element.len(), limits) =>
                {
                    self.nodes[node].insert(0, element);
                }
                _ => self.nodes.insert(node, Node::with(element)),
            }
        } else {
            let items: Vec<Vec<u8>> = self.nodes[node].items.iter().map(<[u8]>::to_vec).collect();
            self.nodes.remove(node);
            let mut center = node;
            if at + 1 < items.len() {
                self.nodes.insert(node, Node::of(&items[at + 1..]));
            }
            self.nodes.insert(node, Node::with(element));
            if at > 0 {
                self.nodes.insert(node, Node::of(&items[..at]));
                center += 1;
            }
            self.merge_around(center, limits);
        }
        true
    }

    /// A node holding one element too large for a listpack node
    /// (Redis's `PLAIN` container).
    fn is_plain(&self, node: usize, limits: &Thresholds) -> bool {
        self.nodes.get(node).is_some_and(|n| {
            n.len() == 1
                && n.items
                    .get(0)
                    .is_some_and(|e| is_large_element(e.len(), limits))
        })
    }

    /// `_quicklistNodeAllowMerge`: two packed nodes whose union fits.
    fn allow_merge(&self, a: usize, b: usize, limits: &Thresholds) -> bool {
        if a >= self.nodes.len() || b >= self.nodes.len() {
            return false;
        }
        if self.is_plain(a, limits) || self.is_plain(b, limits) {
            return false;
        }
        let bytes = self.nodes[a].lp_bytes + self.nodes[b].lp_bytes - LISTPACK_OVERHEAD;
        !limits.list_exceeds(bytes, self.nodes[a].len() + self.nodes[b].len(), false)
    }

    /// Appends node `b + 1` to node `b`.
    fn merge_next(&mut self, b: usize) {
        if let Some(next) = self.nodes.remove(b + 1) {
            for e in next.items.iter() {
                self.nodes[b].push_back(e);
            }
        }
    }

    /// `_quicklistMergeNodes`: merges around `center` (prev_prev with
    /// prev, next with next_next, center with prev, then with next).
    fn merge_around(&mut self, mut center: usize, limits: &Thresholds) {
        if center >= 2 && self.allow_merge(center - 2, center - 1, limits) {
            self.merge_next(center - 2);
            center -= 1;
        }
        if self.allow_merge(center + 1, center + 2, limits) {
            self.merge_next(center + 1);
        }
        if center >= 1 && self.allow_merge(center - 1, center, limits) {
            self.merge_next(center - 1);
            center -= 1;
        }
        if self.allow_merge(center, center + 1, limits) {
            self.merge_next(center);
        }
    }

    /// Inserts before element `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, element: &[u8], limits: &Thresholds) {
        if index == 0 {
            return self.push(End::Head, element, limits);
        }
        if index >= self.len {
            return self.push(End::Tail, element, limits);
        }
        let Some((node, at)) = self.locate(index) else {
            return;
        };
        self.nodes[node].insert(at, element);
        self.len += 1;
        if limits.list_exceeds(self.nodes[node].lp_bytes, self.nodes[node].len(), false) {
            self.split(node);
        }
    }

    /// Splits an overfull node in two halves.
    fn split(&mut self, node: usize) {
        let items: Vec<Vec<u8>> = self.nodes[node].items.iter().map(<[u8]>::to_vec).collect();
        if items.len() < 2 {
            return;
        }
        let half = items.len() / 2;
        self.nodes[node] = Node::of(&items[..half]);
        self.nodes.insert(node + 1, Node::of(&items[half..]));
    }

    /// Removes element `index`.
    pub fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        let (node, at) = self.locate(index)?;
        self.remove_at(node, at)
    }

    /// Removes `n` elements starting at `start`: whole nodes are dropped,
    /// partly covered ones trimmed, so LTRIM on a long list is linear in
    /// the number of nodes rather than elements.
    pub fn remove_range(&mut self, start: usize, n: usize) {
        let n = n.min(self.len.saturating_sub(start));
        let end = start + n;
        // `pos` is the node's first index before anything was removed.
        let (mut pos, mut i) = (0, 0);
        while n > 0 && i < self.nodes.len() && pos < end {
            let node_len = self.nodes[i].len();
            let node_end = pos + node_len;
            if node_end <= start {
                pos = node_end;
                i += 1;
                continue;
            }
            let from = start.saturating_sub(pos);
            let to = (end - pos).min(node_len);
            if from == 0 && to == node_len {
                self.nodes.remove(i);
            } else {
                let node = &mut self.nodes[i];
                let freed: usize = node
                    .items
                    .iter()
                    .skip(from)
                    .take(to - from)
                    .map(listpack_entry_size)
                    .sum();
                node.items.remove_range(from, to - from);
                node.lp_bytes -= freed;
                i += 1;
            }
            self.len -= to - from;
            pos = node_end;
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(|node| node.items.iter())
    }

    /// Elements from the tail.
    pub fn iter_rev(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.nodes.iter().rev().flat_map(|node| {
            let items: Vec<&[u8]> = node.items.iter().collect();
            items.into_iter().rev()
        })
    }
}

impl ListValue {
    /// The nodes as a quicklist holds them (a listpack list is one node),
    /// each a run of elements from the head: what an RDB file records.
    pub fn nodes(&self) -> Vec<&Packed> {
        match self {
            ListValue::Small(p) => vec![p],
            ListValue::Quick(q) => q.nodes.iter().map(|node| &node.items).collect(),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ListValue::Small(_) => "listpack",
            ListValue::Quick(_) => "quicklist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ListValue::Small(p) => p.len(),
            ListValue::Quick(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `listTypeTryConvertListpack`: becomes a quicklist before adding
    /// elements of these raw lengths would make the listpack too big.
    pub fn prepare_for(&mut self, lengths: impl IntoIterator<Item = usize>, limits: &Thresholds) {
        let ListValue::Small(p) = self else {
            return;
        };
        let (mut bytes, mut count) = (0, 0);
        for len in lengths {
            bytes += len;
            count += 1;
        }
        let current = LISTPACK_OVERHEAD + p.iter().map(listpack_entry_size).sum::<usize>();
        if !limits.list_exceeds(current + bytes, p.len() + count, false) {
            return;
        }
        let items = std::mem::take(p);
        let len = items.len();
        let mut quick = Quick::default();
        if len > 0 {
            quick.nodes.push_back(Node {
                items,
                lp_bytes: current,
            });
            quick.len = len;
        }
        *self = ListValue::Quick(Box::new(quick));
    }

    /// `listTypeTryConvertQuicklist` after a removal: back to a listpack
    /// when one node remains and it is under half the limits.
    pub fn shrink(&mut self, limits: &Thresholds) {
        let ListValue::Quick(q) = self else {
            return;
        };
        if q.nodes.len() > 1 {
            return;
        }
        let bytes = q.nodes.front().map_or(LISTPACK_OVERHEAD, |n| n.lp_bytes);
        if !limits.list_exceeds(bytes, q.len, true) {
            let items = q.nodes.pop_front().map(|n| n.items).unwrap_or_default();
            *self = ListValue::Small(items);
        }
    }

    pub fn push(&mut self, end: End, element: &[u8], limits: &Thresholds) {
        match self {
            ListValue::Small(p) => match end {
                End::Head => p.insert(0, &[element]),
                End::Tail => p.push(&[element]),
            },
            ListValue::Quick(q) => q.push(end, element, limits),
        }
    }

    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        match self {
            ListValue::Small(p) => {
                let index = match end {
                    End::Head => 0,
                    End::Tail => p.len().checked_sub(1)?,
                };
                let element = p.get(index)?.to_vec();
                p.remove_range(index, 1);
                Some(element)
            }
            ListValue::Quick(q) => q.pop(end),
        }
    }

    /// Redis's list index: negative counts from the tail.
    pub fn resolve(&self, index: i64) -> Option<usize> {
        let len = i64::try_from(self.len()).ok()?;
        let index = if index < 0 {
            len.checked_add(index)?
        } else {
            index
        };
        (0..len).contains(&index).then_some(index as usize)
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        match self {
            ListValue::Small(p) => p.get(index),
            ListValue::Quick(q) => q.get(index),
        }
    }

    /// Replaces element `index`; false when out of range.
    pub fn set(&mut self, index: usize, element: &[u8], limits: &Thresholds) -> bool {
        match self {
            ListValue::Small(p) => match (index < p.len()).then(|| p.span_of(index)).flatten() {
                Some(span) => {
                    p.splice(span.start, span.end, 1, &[element]);
                    true
                }
                None => false,
            },
            ListValue::Quick(q) => q.set(index, element, limits),
        }
    }

    /// Inserts before element `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, element: &[u8], limits: &Thresholds) {
        match self {
            ListValue::Small(p) => p.insert(index.min(p.len()), &[element]),
            ListValue::Quick(q) => q.insert(index, element, limits),
        }
    }

    /// Removes element `index`.
    pub fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        match self {
            ListValue::Small(p) => {
                let element = p.get(index)?.to_vec();
                p.remove_range(index, 1);
                Some(element)
            }
            ListValue::Quick(q) => q.remove(index),
        }
    }

    /// Removes `n` elements starting at `start`.
    pub fn remove_range(&mut self, start: usize, n: usize) {
        match self {
            ListValue::Small(p) => p.remove_range(start, n),
            ListValue::Quick(q) => q.remove_range(start, n),
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            ListValue::Small(p) => Box::new(p.iter()),
            ListValue::Quick(q) => Box::new(q.iter()),
        }
    }

    /// Elements from the tail.
    pub fn iter_rev(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            ListValue::Small(p) => {
                let items: Vec<&[u8]> = p.iter().collect();
                Box::new(items.into_iter().rev())
            }
            ListValue::Quick(q) => Box::new(q.iter_rev()),
        }
    }

    /// Removes elements equal to `element`, at most `limit` of them (0:
    /// no limit), walking from `from`; returns how many went.
    pub fn remove_matching(&mut self, element: &[u8], limit: usize, from: End) -> usize {
        let positions: Vec<usize> = match from {
            End::Head => self
                .iter()
                .enumerate()
                .filter(|(_, e)| *e == element)
                .map(|(i, _)| i)
                .collect(),
            End::Tail => self
                .iter_rev()
                .enumerate()
                .filter(|(_, e)| *e == element)
                .map(|(i, _)| self.len() - 1 - i)
                .collect(),
        };
        let mut doomed: Vec<usize> = positions
            .into_iter()
            .take(if limit == 0 { usize::MAX } else { limit })
            .collect();
        doomed.sort_unstable_by(|a, b| b.cmp(a));
        for &i in &doomed {
            self.remove(i);
        }
        doomed.len()
    }
}

/// `isLargeElement`: an element that gets a node of its own.
fn is_large_element(len: usize, limits: &Thresholds) -> bool {
    let fill = limits.list_max_listpack_size;
    if fill >= 0 {
        len > 8192
    } else {
        limits.list_exceeds(len, 1, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, u8),
        Pop(bool),
        Insert(usize, u8),
        Remove(usize),
        RemoveRange(usize, usize),
        Set(usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<bool>(), any::<u8>()).prop_map(|(h, v)| Op::Push(h, v)),
            any::<bool>().prop_map(Op::Pop),
            (0..40usize, any::<u8>()).prop_map(|(i, v)| Op::Insert(i, v)),
            (0..40usize).prop_map(Op::Remove),
            (0..40usize, 0..20usize).prop_map(|(i, n)| Op::RemoveRange(i, n)),
            (0..40usize, any::<u8>()).prop_map(|(i, v)| Op::Set(i, v)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_deque(ops in proptest::collection::vec(op(), 1..200)) {
            let limits = Thresholds { list_max_listpack_size: 3, ..Thresholds::default() };
            let mut list = ListValue::default();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(head, v) => {
                        list.prepare_for([1], &limits);
                        let end = if head { End::Head } else { End::Tail };
                        list.push(end, &[v], &limits);
                        if head { model.push_front(vec![v]) } else { model.push_back(vec![v]) }
                    }
                    Op::Pop(head) => {
                        let end = if head { End::Head } else { End::Tail };
                        let want = if head { model.pop_front() } else { model.pop_back() };
                        prop_assert_eq!(list.pop(end), want);
                        list.shrink(&limits);
                    }
                    Op::Insert(i, v) => {
                        let i = i.min(model.len());
                        list.prepare_for([1], &limits);
                        list.insert(i, &[v], &limits);
                        model.insert(i, vec![v]);
                    }
                    Op::Remove(i) => {
                        prop_assert_eq!(list.remove(i), model.remove(i));
                    }
                    Op::RemoveRange(i, n) => {
                        list.remove_range(i, n);
                        for _ in 0..n.min(model.len().saturating_sub(i)) {
                            model.remove(i);
                        }
                    }
                    Op::Set(i, v) => {
                        let done = list.set(i, &[v], &limits);
                        prop_assert_eq!(done, i < model.len());
                        if done { model[i] = vec![v]; }
                    }
                }
                prop_assert_eq!(list.len(), model.len());
                let items: Vec<Vec<u8>> = list.iter().map(<[u8]>::to_vec).collect();
                prop_assert_eq!(&items, &model.iter().cloned().collect::<Vec<_>>());
                let back: Vec<Vec<u8>> = list.iter_rev().map(<[u8]>::to_vec).collect();
                prop_assert_eq!(back, model.iter().rev().cloned().collect::<Vec<_>>());
            }
        }
    }

    fn node_lens(list: &ListValue) -> Vec<usize> {
        match list {
            ListValue::Small(p) => vec![p.len()],
            ListValue::Quick(q) => q.nodes.iter().map(Node::len).collect(),
        }
    }

    #[test]
    fn lset_of_a_large_element_splits_its_node() {
        // quicklistReplaceEntry: the large element gets a plain node of its
        // own, the neighbours merge where they fit; replacing it with a
        // small element goes into the next node when that has room.
        let limits = Thresholds {
            list_max_listpack_size: 4,
            ..Thresholds::default()
        };
        let mut list = ListValue::default();
        for e in [b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i"] {
            list.prepare_for([1], &limits);
            list.push(End::Tail, e, &limits);
        }
        assert_eq!(node_lens(&list), [4, 4, 1]);
        let big = vec![b'x'; 9000];
        assert!(list.set(5, &big, &limits));
        assert_eq!(node_lens(&list), [4, 1, 1, 3]);
        assert!(list.set(5, b"z", &limits));
        assert_eq!(node_lens(&list), [4, 1, 4]);
        assert_eq!(
            items(&list),
            [&b"a"[..], b"b", b"c", b"d", b"e", b"z", b"g", b"h", b"i"]
        );
        list.remove_range(0, 7);
        list.shrink(&limits);
        assert_eq!(list.encoding(), "listpack");

        let mut list = ListValue::default();
        list.prepare_for([1, 1, 1], &limits);
        for e in [b"a", b"b", b"c"] {
            list.push(End::Tail, e, &limits);
        }
        list.prepare_for([big.len()], &limits);
        assert!(list.set(0, &big, &limits));
        assert_eq!(node_lens(&list), [1, 2]);
        assert!(list.set(0, b"s", &limits));
        list.shrink(&limits);
        assert_eq!(list.encoding(), "quicklist");
        assert_eq!(node_lens(&list), [3]);
    }

    fn items(list: &ListValue) -> Vec<Vec<u8>> {
        list.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn pushes_pops_and_indexes_across_nodes() {
        let limits = Thresholds::default();
        let mut list = ListValue::default();
        let big = vec![b'x'; 1000];
        for i in 0..40u8 {
            list.prepare_for([big.len()], &limits);
            let mut e = big.clone();
            e[0] = i;
            list.push(End::Tail, &e, &limits);
        }
        assert_eq!(list.encoding(), "quicklist");
        assert!(matches!(&list, ListValue::Quick(q) if q.nodes.len() > 1));
        assert_eq!(list.len(), 40);
        assert_eq!(list.get(25).map(|e| e[0]), Some(25));
        assert_eq!(list.resolve(-1), Some(39));
        list.insert(10, b"mid", &limits);
        assert_eq!(list.get(10), Some(&b"mid"[..]));
        assert_eq!(list.remove(10), Some(b"mid".to_vec()));
        let rev: Vec<u8> = list.iter_rev().map(|e| e[0]).collect();
        assert_eq!(rev, (0..40u8).rev().collect::<Vec<_>>());
        list.remove_range(0, 35);
        assert_eq!(list.len(), 5);
        assert_eq!(list.get(0).map(|e| e[0]), Some(35));
        // 5 KB is above half the 8 KB limit: still a quicklist.
        list.shrink(&limits);
        assert_eq!(list.encoding(), "quicklist");
        list.remove_range(0, 2);
        list.shrink(&limits);
        assert_eq!(list.encoding(), "listpack");
        while list.pop(End::Head).is_some() {}
        assert!(list.is_empty());
        assert!(items(&list).is_empty());
    }
}
