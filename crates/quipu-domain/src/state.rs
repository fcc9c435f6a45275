//! State machines as tables: each stateful record's statuses say which may follow which, and a
//! store's compare-and-set takes only a [`Transition`] built here, so no caller can write a move the
//! table does not allow.

use std::fmt::Debug;

/// A status whose table says which status may follow it.
pub trait StateMachine: Copy + Eq + Debug {
    /// Whether a record in this state may move to `next`.
    fn may_become(self, next: Self) -> bool;
}

/// A move from one state to another that its table allows: the only way to ask a store to change a
/// record's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S> {
    from: S,
    to: S,
}

impl<S: StateMachine> Transition<S> {
    /// The move from `from` to `to`, if the table allows it.
    pub fn new(from: S, to: S) -> Option<Self> {
        from.may_become(to).then_some(Transition { from, to })
    }

    /// The state the record must still be in (the compare of the compare-and-set).
    pub fn from(self) -> S {
        self.from
    }

    /// The state it moves to.
    pub fn to(self) -> S {
        self.to
    }

    /// Whether the table still allows this move: what a store asserts beside its compare-and-set.
    pub fn is_allowed(self) -> bool {
        self.from.may_become(self.to)
    }
}
