//! [`RankTree`]: an order-statistic B+tree of element ids.
//!
//! A big sorted set keeps its members once, in a [`super::slots::Slots`]
//! table; this tree holds only their slot numbers (4 bytes each), in
//! (score, member) order, with every child's element count kept in its
//! parent so that the rank of a key and the element at a rank are both
//! found in O(log n), as Redis's skiplist finds them with its spans.
//!
//! The tree does not know the order itself: operations that search take a
//! `before` predicate, true for the ids ordered before the sought key (a
//! prefix of the order), which the caller answers by looking the ids up.
//! Each parent also keeps the first id of every child, so a search reads
//! one child per level.
//!
//! Nodes split in the middle, except when an element goes past the end
//! (or before the start) of the whole tree: then the full node stays full
//! and the new one starts with that element, so keys arriving in order
//! (timestamps, counters) fill the leaves instead of leaving them half
//! empty. A node left with fewer than a quarter of its capacity by a
//! removal is merged with or refilled from a neighbour, which keeps the
//! height logarithmic.

/// Ids per leaf: one 256-byte block.
#[cfg(not(test))]
const LEAF_CAP: usize = 64;
/// Children per branch.
#[cfg(not(test))]
const BRANCH_CAP: usize = 32;
// Tests use small nodes, so that a few hundred elements already split,
// merge and refill nodes on several levels.
#[cfg(test)]
const LEAF_CAP: usize = 8;
#[cfg(test)]
const BRANCH_CAP: usize = 8;

#[derive(Debug, Clone)]
enum Node {
    Leaf(Vec<u32>),
    Branch(Vec<Child>),
}

#[derive(Debug, Clone)]
struct Child {
    /// The smallest id of the subtree, compared while searching.
    first: u32,
    /// How many ids the subtree holds.
    count: u32,
    node: Node,
}

/// Where a node sits: on the tree's right edge and/or its left edge.
#[derive(Clone, Copy)]
struct Edges {
    right: bool,
    left: bool,
}

impl Node {
    fn first(&self) -> Option<u32> {
        match self {
            Node::Leaf(ids) => ids.first().copied(),
            Node::Branch(children) => children.first().map(|c| c.first),
        }
    }

    fn count(&self) -> u32 {
        match self {
            Node::Leaf(ids) => ids.len() as u32,
            Node::Branch(children) => children.iter().map(|c| c.count).sum(),
        }
    }

    /// Entries (ids or children) in this node itself.
    fn width(&self) -> usize {
        match self {
            Node::Leaf(ids) => ids.len(),
            Node::Branch(children) => children.len(),
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Node::Leaf(_) => LEAF_CAP,
            Node::Branch(_) => BRANCH_CAP,
        }
    }

    fn into_child(self) -> Option<Child> {
        Some(Child {
            first: self.first()?,
            count: self.count(),
            node: self,
        })
    }
}

/// Where a full node of `cap` entries splits when the new entry goes to
/// `pos`: at the end for an append to the tree's last node, at the start
/// for a prepend to its first, in the middle otherwise.
fn split_point(pos: usize, cap: usize, edges: Edges) -> usize {
    if edges.right && pos == cap {
        cap
    } else if edges.left && pos == 0 {
        0
    } else {
        cap / 2
    }
}

/// Inserts `item` at `pos` of the full `items`, splitting them: returns
/// the right part.
fn split_insert<T>(items: &mut Vec<T>, pos: usize, item: T, cap: usize, edges: Edges) -> Vec<T> {
    let at = split_point(pos, cap, edges);
    let mut right = Vec::with_capacity(cap);
    right.extend(items.drain(at..));
    if at == cap || pos > at {
        right.insert(pos - at, item);
    } else {
        items.insert(pos, item);
    }
    right
}

/// An order-statistic B+tree of ids; see the module documentation.
#[derive(Debug, Clone)]
pub struct RankTree {
    root: Node,
    len: usize,
}

impl Default for RankTree {
    fn default() -> RankTree {
        RankTree {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl RankTree {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The heap bytes of every node, each block sized by `block` (for
    /// MEMORY USAGE).
    pub fn heap_bytes(&self, block: impl Fn(usize) -> usize + Copy) -> usize {
        fn walk(node: &Node, block: impl Fn(usize) -> usize + Copy) -> usize {
            match node {
                Node::Leaf(ids) => block(ids.capacity() * std::mem::size_of::<u32>()),
                Node::Branch(children) => {
                    block(children.capacity() * std::mem::size_of::<Child>())
                        + children.iter().map(|c| walk(&c.node, block)).sum::<usize>()
                }
            }
        }
        walk(&self.root, block)
    }

    /// How many ids `before` is true for: the rank of the key it
    /// describes. `before` must be true for a prefix of the order.
    pub fn rank(&self, before: impl Fn(u32) -> bool) -> usize {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(ids) => return rank + ids.partition_point(|&id| before(id)),
                Node::Branch(children) => {
                    let i = children.partition_point(|c| before(c.first));
                    if i == 0 {
                        return rank;
                    }
                    rank += children[..i - 1]
                        .iter()
                        .map(|c| c.count as usize)
                        .sum::<usize>();
                    node = &children[i - 1].node;
                }
            }
        }
    }

    /// The leaf holding the id at `rank` and its index there.
    fn leaf_at(&self, mut rank: usize) -> Option<(&[u32], usize)> {
        if rank >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(ids) => return (rank < ids.len()).then_some((&ids[..], rank)),
                Node::Branch(children) => {
                    let mut next = None;
                    for c in children {
                        if rank < c.count as usize {
                            next = Some(&c.node);
                            break;
                        }
                        rank -= c.count as usize;
                    }
                    node = next?;
                }
            }
        }
    }

    /// The id at `rank` (0-based).
    #[cfg(test)]
    pub fn select(&self, rank: usize) -> Option<u32> {
        self.leaf_at(rank).map(|(ids, i)| ids[i])
    }

    /// Inserts `id`, whose key is absent, after every id `before` is true
    /// for.
    pub fn insert(&mut self, id: u32, before: impl Fn(u32) -> bool) {
        let edges = Edges {
            right: true,
            left: true,
        };
        if let Some(right) = insert_into(&mut self.root, id, &before, edges) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            let mut children = Vec::with_capacity(BRANCH_CAP);
            children.extend(left.into_child());
            children.extend(right.into_child());
            self.root = Node::Branch(children);
        }
        self.len += 1;
    }

    /// Removes and returns the id at `rank`.
    pub fn remove_at(&mut self, rank: usize) -> Option<u32> {
        if rank >= self.len {
            return None;
        }
        let id = remove_from(&mut self.root, rank)?;
        self.len -= 1;
        // A root branch with one child is one level too many.
        while let Node::Branch(children) = &mut self.root {
            if children.len() > 1 {
                break;
            }
            self.root = children
                .pop()
                .map_or(Node::Leaf(Vec::new()), |only| only.node);
        }
        Some(id)
    }

    /// The ids of ranks `from..to` in order, both ends walkable.
    pub fn range(&self, from: usize, to: usize) -> Ids<'_> {
        let to = to.min(self.len);
        Ids {
            tree: self,
            front: from.min(to),
            back: to,
            front_leaf: &[],
            back_leaf: &[],
        }
    }
}

/// Inserts into `node`; returns the new right sibling when it split.
fn insert_into(
    node: &mut Node,
    id: u32,
    before: &impl Fn(u32) -> bool,
    edges: Edges,
) -> Option<Node> {
    match node {
        Node::Leaf(ids) => {
            let pos = ids.partition_point(|&x| before(x));
            if ids.len() < LEAF_CAP {
                ids.insert(pos, id);
                return None;
            }
            Some(Node::Leaf(split_insert(ids, pos, id, LEAF_CAP, edges)))
        }
        Node::Branch(children) => {
            let i = children
                .partition_point(|c| before(c.first))
                .saturating_sub(1);
            let last = children.len() - 1;
            let child_edges = Edges {
                right: edges.right && i == last,
                left: edges.left && i == 0,
            };
            let child = &mut children[i];
            let split = insert_into(&mut child.node, id, before, child_edges);
            child.count += 1;
            if let Some(first) = child.node.first() {
                child.first = first;
            }
            let sibling = split?.into_child()?;
            children[i].count -= sibling.count;
            if children.len() < BRANCH_CAP {
                children.insert(i + 1, sibling);
                return None;
            }
            Some(Node::Branch(split_insert(
                children,
                i + 1,
                sibling,
                BRANCH_CAP,
                edges,
            )))
        }
    }
}

/// Removes the id at `rank` of `node`, rebalancing the child it came from.
fn remove_from(node: &mut Node, mut rank: usize) -> Option<u32> {
    let children = match node {
        Node::Leaf(ids) => return (rank < ids.len()).then(|| ids.remove(rank)),
        Node::Branch(children) => children,
    };
    let mut i = 0;
    while rank >= children.get(i)?.count as usize {
        rank -= children[i].count as usize;
        i += 1;
    }
    let child = &mut children[i];
    let id = remove_from(&mut child.node, rank)?;
    child.count -= 1;
    if let Some(first) = child.node.first() {
        child.first = first;
    }
    rebalance(children, i);
    Some(id)
}

/// After a removal from `children[i]`: drops it when empty, and merges it
/// with or refills it from a neighbour when under a quarter full.
fn rebalance(children: &mut Vec<Child>, i: usize) {
    if children[i].count == 0 {
        children.remove(i);
        return;
    }
    let cap = children[i].node.capacity();
    if children[i].node.width() >= cap / 4 || children.len() < 2 {
        return;
    }
    let (l, r) = if i + 1 < children.len() {
        (i, i + 1)
    } else {
        (i - 1, i)
    };
    let (head, tail) = children.split_at_mut(r);
    let (left, right) = (&mut head[l], &mut tail[0]);
    let total = left.node.width() + right.node.width();
    match (&mut left.node, &mut right.node) {
        (Node::Leaf(a), Node::Leaf(b)) => {
            if total <= cap {
                a.append(b);
            } else {
                even_out(a, b);
            }
        }
        (Node::Branch(a), Node::Branch(b)) => {
            if total <= cap {
                a.append(b);
            } else {
                even_out(a, b);
            }
        }
        // All leaves are at the same depth, so siblings are alike.
        _ => return,
    }
    for c in [&mut *left, &mut *right] {
        c.count = c.node.count();
        if let Some(first) = c.node.first() {
            c.first = first;
        }
    }
    if right.count == 0 {
        children.remove(r);
    }
}

/// Moves entries between neighbours `a` (left) and `b` so each holds half.
fn even_out<T>(a: &mut Vec<T>, b: &mut Vec<T>) {
    let half = (a.len() + b.len()) / 2;
    if a.len() < half {
        let n = half - a.len();
        a.extend(b.drain(..n));
    } else {
        let n = a.len() - half;
        let moved: Vec<T> = a.drain(a.len() - n..).collect();
        b.splice(0..0, moved);
    }
}

/// The ids of a rank range, from either end; skipping ahead (`nth`,
/// which `Iterator::skip` uses) is one O(log n) descent.
#[derive(Clone)]
pub struct Ids<'a> {
    tree: &'a RankTree,
    front: usize,
    back: usize,
    /// What is left of the leaf the front is in (empty: look it up).
    front_leaf: &'a [u32],
    /// The part of the back's leaf up to and including the back.
    back_leaf: &'a [u32],
}

impl Iterator for Ids<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.front >= self.back {
            return None;
        }
        if self.front_leaf.is_empty() {
            let (ids, i) = self.tree.leaf_at(self.front)?;
            self.front_leaf = &ids[i..];
        }
        let (&id, rest) = self.front_leaf.split_first()?;
        self.front_leaf = rest;
        self.front += 1;
        Some(id)
    }

    fn nth(&mut self, n: usize) -> Option<u32> {
        if n > 0 {
            self.front = self.front.saturating_add(n).min(self.back);
            self.front_leaf = &[];
        }
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Ids<'_> {
    fn next_back(&mut self) -> Option<u32> {
        if self.front >= self.back {
            return None;
        }
        if self.back_leaf.is_empty() {
            let (ids, i) = self.tree.leaf_at(self.back - 1)?;
            self.back_leaf = &ids[..=i];
        }
        let (&id, rest) = self.back_leaf.split_last()?;
        self.back_leaf = rest;
        self.back -= 1;
        Some(id)
    }

    fn nth_back(&mut self, n: usize) -> Option<u32> {
        if n > 0 {
            self.back = self.back.saturating_sub(n).max(self.front);
            self.back_leaf = &[];
        }
        self.next_back()
    }
}

impl ExactSizeIterator for Ids<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks the tree's bookkeeping: counts, firsts, equal leaf depth.
    fn check(node: &Node, depth: usize, leaf_depth: &mut Option<usize>) -> u32 {
        match node {
            Node::Leaf(ids) => {
                assert!(ids.len() <= LEAF_CAP);
                assert_eq!(*leaf_depth.get_or_insert(depth), depth);
                ids.len() as u32
            }
            Node::Branch(children) => {
                assert!(!children.is_empty() && children.len() <= BRANCH_CAP);
                for c in children {
                    assert_eq!(c.count, check(&c.node, depth + 1, leaf_depth));
                    assert_eq!(Some(c.first), c.node.first());
                }
                node.count()
            }
        }
    }

    fn verify(tree: &RankTree, model: &[u32]) {
        assert_eq!(tree.len(), model.len());
        assert_eq!(check(&tree.root, 0, &mut None) as usize, model.len());
        let all: Vec<u32> = tree.range(0, usize::MAX).collect();
        assert_eq!(all, model);
        let mut back: Vec<u32> = tree.range(0, tree.len()).rev().collect();
        back.reverse();
        assert_eq!(back, model);
    }

    proptest! {
        /// Ids are their own keys here; the model is a sorted Vec.
        #[test]
        fn agrees_with_a_sorted_vec(
            ops in proptest::collection::vec((0u8..4, 0u32..400, 0usize..500), 1..400)
        ) {
            let mut tree = RankTree::default();
            let mut model: Vec<u32> = Vec::new();
            for (op, key, at) in ops {
                match op {
                    0 | 1 => {
                        if let Err(pos) = model.binary_search(&key) {
                            model.insert(pos, key);
                            tree.insert(key, |x| x < key);
                        }
                    }
                    2 => {
                        let want = (at < model.len()).then(|| model.remove(at));
                        prop_assert_eq!(tree.remove_at(at), want);
                    }
                    _ => {
                        let from = at.min(model.len());
                        let to = (from + key as usize % 50).min(model.len());
                        let got: Vec<u32> = tree.range(from, to).collect();
                        prop_assert_eq!(&got[..], &model[from..to]);
                        let skip = key as usize % 7;
                        let got: Vec<u32> = tree.range(from, to).skip(skip).collect();
                        prop_assert_eq!(&got[..], &model[(from + skip).min(to)..to]);
                        let got: Vec<u32> = tree.range(from, to).rev().skip(skip).collect();
                        let want: Vec<u32> = model[from..to.saturating_sub(skip).max(from)].iter().rev().copied().collect();
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(tree.rank(|x| x < key), model.partition_point(|&x| x < key));
                prop_assert_eq!(tree.select(at), model.get(at).copied());
            }
            verify(&tree, &model);
        }
    }

    #[test]
    fn ordered_inserts_fill_the_leaves_and_removals_rebalance() {
        let mut tree = RankTree::default();
        let n = 100_000u32;
        for key in 0..n {
            tree.insert(key, |x| x < key);
        }
        let model: Vec<u32> = (0..n).collect();
        verify(&tree, &model);
        let leaves = (n as usize).div_ceil(LEAF_CAP);
        let mut count = 0;
        fn leaves_of(node: &Node, count: &mut usize) {
            match node {
                Node::Leaf(_) => *count += 1,
                Node::Branch(children) => children.iter().for_each(|c| leaves_of(&c.node, count)),
            }
        }
        leaves_of(&tree.root, &mut count);
        assert_eq!(count, leaves, "appends leave full leaves");
        let mut descending = RankTree::default();
        for key in (0..n).rev() {
            descending.insert(key, |x| x < key);
        }
        verify(&descending, &model);
        // Removing from the middle out merges and refills leaves.
        let mut model = model;
        while model.len() > 1000 {
            let at = model.len() / 2;
            assert_eq!(tree.remove_at(at), Some(model.remove(at)));
        }
        verify(&tree, &model);
        while let Some(&last) = model.last() {
            assert_eq!(tree.remove_at(model.len() - 1), Some(last));
            model.pop();
        }
        verify(&tree, &model);
        assert!(matches!(&tree.root, Node::Leaf(ids) if ids.is_empty()));
    }
}
