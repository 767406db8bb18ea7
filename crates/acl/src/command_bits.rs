//! The command bitmap of a selector.
//!
//! One bit per [`CommandId`] (commands and subcommands alike), plus one
//! reserved bit after the last id that only `+@all`/`allcommands` sets:
//! it records "this selector may also run commands that do not exist yet"
//! (Redis's module commands), and it is how `ACL LIST` decides between
//! printing `+@all` and `-@all` as the start of the command rules.

use moat_commands::{CommandId, CommandTable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBits {
    words: Vec<u64>,
    future_bit: usize,
}

impl Default for CommandBits {
    /// All bits clear, sized for the global command table.
    fn default() -> CommandBits {
        CommandBits::with_ids(CommandTable::global().len())
    }
}

impl CommandBits {
    /// All bits clear, for ids `0..ids` plus the reserved bit.
    pub fn with_ids(ids: usize) -> CommandBits {
        CommandBits {
            words: vec![0; ids / 64 + 1],
            future_bit: ids,
        }
    }

    pub fn get(&self, id: CommandId) -> bool {
        self.get_bit(usize::from(id))
    }

    pub fn set(&mut self, id: CommandId, allowed: bool) {
        let bit = usize::from(id);
        if bit >= self.future_bit {
            return;
        }
        let mask = 1u64 << (bit % 64);
        if allowed {
            self.words[bit / 64] |= mask;
        } else {
            self.words[bit / 64] &= !mask;
        }
    }

    /// Every command, and the reserved future-commands bit.
    pub fn set_all(&mut self) {
        let last_word = self.future_bit / 64;
        for (i, word) in self.words.iter_mut().enumerate() {
            *word = match i.cmp(&last_word) {
                std::cmp::Ordering::Less => u64::MAX,
                _ => u64::MAX >> (63 - self.future_bit % 64),
            };
        }
    }

    pub fn clear_all(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    /// The reserved bit only `+@all` sets.
    pub fn may_run_future_commands(&self) -> bool {
        self.get_bit(self.future_bit)
    }

    fn get_bit(&self, bit: usize) -> bool {
        self.words
            .get(bit / 64)
            .is_some_and(|w| w & (1u64 << (bit % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_all_includes_the_future_bit_and_nothing_beyond() {
        for ids in [0usize, 1, 63, 64, 65, 300] {
            let mut bits = CommandBits::with_ids(ids);
            bits.set_all();
            assert!(bits.may_run_future_commands());
            assert!((0..ids).all(|id| bits.get(id as CommandId)));
            assert_eq!(bits, {
                let mut b = CommandBits::with_ids(ids);
                for id in 0..ids {
                    b.set(id as CommandId, true);
                }
                b.words[ids / 64] |= 1 << (ids % 64);
                b
            });
        }
    }

    #[test]
    fn clearing_one_bit_keeps_the_future_bit() {
        let mut bits = CommandBits::with_ids(10);
        bits.set_all();
        bits.set(3, false);
        assert!(!bits.get(3));
        assert!(bits.may_run_future_commands());
        bits.clear_all();
        assert!(!bits.may_run_future_commands());
    }

    #[test]
    fn out_of_range_ids_are_ignored() {
        let mut bits = CommandBits::with_ids(10);
        bits.set(10, true);
        bits.set(500, true);
        assert!(!bits.may_run_future_commands());
        assert!(!bits.get(500));
    }
}
