//! The rows of a long list, read a block at a time as they scroll into view.
//!
//! A table asks for row `i`; the block holding it is read once and kept. Blocks far
//! from the visible rows are dropped, so memory stays flat whatever the list's length.

use std::collections::BTreeMap;

/// Rows per block: a few screens' worth.
pub const BLOCK: u32 = 100;
/// Blocks kept around the ones in view.
const KEPT: usize = 12;

/// Which block to read, and its neighbours already read (for keyset paging).
#[derive(Debug)]
pub struct BlockRequest<'a, T> {
    pub block: u64,
    /// The block before, when it is here and full: read "after its last row".
    pub previous: Option<&'a [T]>,
    /// The block after, when it is here: read "before its first row".
    pub next: Option<&'a [T]>,
}

impl<T> BlockRequest<'_, T> {
    /// The index of the block's first row.
    pub fn offset(&self) -> u64 {
        self.block * u64::from(BLOCK)
    }
}

/// Blocks of rows by block number.
#[derive(Debug)]
pub struct RowBlocks<T> {
    blocks: BTreeMap<u64, Vec<T>>,
    /// Set when a read failed, so it is not retried every frame; cleared by [`Self::clear`].
    pub failed: bool,
}

impl<T> Default for RowBlocks<T> {
    fn default() -> Self {
        Self { blocks: BTreeMap::new(), failed: false }
    }
}

impl<T> RowBlocks<T> {
    /// Forgets every row (the data or the order changed).
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.failed = false;
    }

    /// Row `index`, reading its block with `read` when it is not here.
    pub fn row<E: std::fmt::Display>(
        &mut self,
        index: usize,
        read: impl FnOnce(BlockRequest<'_, T>) -> Result<Vec<T>, E>,
    ) -> Option<&T> {
        let index = u64::try_from(index).ok()?;
        let block = index / u64::from(BLOCK);
        if !self.blocks.contains_key(&block) && !self.failed {
            let previous = block
                .checked_sub(1)
                .and_then(|b| self.blocks.get(&b))
                .filter(|rows| rows.len() == BLOCK as usize)
                .map(Vec::as_slice);
            let next = self.blocks.get(&(block + 1)).map(Vec::as_slice);
            match read(BlockRequest { block, previous, next }) {
                Ok(rows) => {
                    self.blocks.insert(block, rows);
                    self.forget_far_from(block);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a list could not be read");
                    self.failed = true;
                }
            }
        }
        let within = usize::try_from(index % u64::from(BLOCK)).ok()?;
        self.blocks.get(&block)?.get(within)
    }

    /// How many rows are here (to size a list whose count is not known yet).
    pub fn loaded(&self) -> usize {
        self.blocks.values().map(Vec::len).sum()
    }

    fn forget_far_from(&mut self, block: u64) {
        while self.blocks.len() > KEPT {
            let first = self.blocks.keys().next().copied();
            let last = self.blocks.keys().next_back().copied();
            let (Some(first), Some(last)) = (first, last) else { return };
            let far = if block.abs_diff(first) > block.abs_diff(last) { first } else { last };
            self.blocks.remove(&far);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_a_block_at_a_time_and_far_blocks_forgotten() {
        let mut blocks = RowBlocks::<u64>::default();
        let reads = std::cell::RefCell::new(Vec::new());
        let read = |request: BlockRequest<'_, u64>| -> Result<Vec<u64>, String> {
            reads.borrow_mut().push((request.block, request.previous.is_some(), request.next.is_some()));
            Ok((request.offset()..request.offset() + u64::from(BLOCK)).collect())
        };
        assert_eq!(blocks.row(5, read), Some(&5));
        assert_eq!(blocks.row(99, read), Some(&99));
        assert_eq!(blocks.row(100, read), Some(&100));
        assert_eq!(*reads.borrow(), [(0, false, false), (1, true, false)]);
        for i in 0..40 {
            blocks.row(i * 100, read);
        }
        assert!(blocks.loaded() <= KEPT * BLOCK as usize);
        assert_eq!(blocks.row(3_999, read), Some(&3_999));
    }

    #[test]
    fn a_failed_read_is_not_retried_until_cleared() {
        let mut blocks = RowBlocks::<u64>::default();
        let mut calls = 0;
        for _ in 0..3 {
            let row = blocks.row(0, |_| -> Result<Vec<u64>, String> {
                calls += 1;
                Err("locked".into())
            });
            assert_eq!(row, None);
        }
        assert_eq!(calls, 1);
        blocks.clear();
        assert_eq!(blocks.row(0, |_| -> Result<Vec<u64>, String> { Ok(vec![7]) }), Some(&7));
    }
}
