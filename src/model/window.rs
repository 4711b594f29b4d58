//! Time windows and sets of them: which stretches of time a CloudTrail read covered, and which it still has to.
//!
//! A [`Windows`] is kept sorted and merged (no two windows overlap or touch), so "is this push's window covered?"
//! and "what is left to read?" are plain interval arithmetic.

use jiff::Timestamp;

/// The closed stretch of time `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl TimeWindow {
    /// `[start, end]`; an empty window (`end < start`) when given so.
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Self { start, end }
    }

    /// Whether the window holds no instant.
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }

    /// Whether `other` lies wholly inside this window.
    pub fn contains(&self, other: &TimeWindow) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two windows share an instant.
    pub fn overlaps(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// The part of this window within `[from, to]`.
    pub fn clip(&self, from: Timestamp, to: Timestamp) -> TimeWindow {
        TimeWindow { start: self.start.max(from), end: self.end.min(to) }
    }
}

impl std::fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to {}", self.start, self.end)
    }
}

/// A set of instants, as sorted windows that neither overlap nor touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows(Vec<TimeWindow>);

impl Windows {
    /// The union of `windows`.
    pub fn of(windows: impl IntoIterator<Item = TimeWindow>) -> Self {
        let mut all: Vec<TimeWindow> = windows.into_iter().filter(|w| !w.is_empty()).collect();
        all.sort_unstable();
        let mut merged: Vec<TimeWindow> = Vec::with_capacity(all.len());
        for w in all {
            match merged.last_mut() {
                Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                _ => merged.push(w),
            }
        }
        Self(merged)
    }

    /// The windows, oldest first.
    pub fn as_slice(&self) -> &[TimeWindow] {
        &self.0
    }

    /// Whether the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `w` to the set.
    pub fn insert(&mut self, w: TimeWindow) {
        *self = Self::of(self.0.iter().copied().chain([w]));
    }

    /// Whether every instant of `w` is in the set.
    pub fn covers(&self, w: &TimeWindow) -> bool {
        self.0.iter().any(|c| c.contains(w))
    }

    /// The instants of `self` not in `other`. Subtracting closed windows leaves half-open gaps; they are kept closed
    /// (a shared boundary instant is read twice rather than missed).
    pub fn minus(&self, other: &Windows) -> Windows {
        let mut out = Vec::new();
        for w in &self.0 {
            let mut rest = *w;
            let mut done = false;
            for o in other.0.iter().filter(|o| o.overlaps(w)) {
                if o.start > rest.start {
                    out.push(TimeWindow::new(rest.start, o.start.min(rest.end)));
                }
                if o.end >= rest.end {
                    done = true;
                    break;
                }
                rest.start = rest.start.max(o.end);
            }
            if !done {
                out.push(rest);
            }
        }
        Self::of(out)
    }

    /// The set with every gap no wider than `gap` filled: windows that close together are read as one.
    pub fn bridged(&self, gap: jiff::SignedDuration) -> Windows {
        let mut out: Vec<TimeWindow> = Vec::with_capacity(self.0.len());
        for w in &self.0 {
            match out.last_mut() {
                Some(last) if last.end.duration_until(w.start) <= gap => last.end = w.end,
                _ => out.push(*w),
            }
        }
        Self(out)
    }

    /// Drops every instant before `since`.
    pub fn retain_since(&mut self, since: Timestamp) {
        self.0.retain(|w| w.end >= since);
        if let Some(first) = self.0.first_mut() {
            first.start = first.start.max(since);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_764_000_000 + s).unwrap()
    }

    fn w(a: i64, b: i64) -> TimeWindow {
        TimeWindow::new(t(a), t(b))
    }

    #[test]
    fn a_union_is_sorted_and_merged() {
        let u = Windows::of([w(50, 60), w(0, 10), w(5, 20), w(20, 30), w(40, 39)]);
        assert_eq!(u.as_slice(), [w(0, 30), w(50, 60)], "overlapping and touching windows merge; empty ones go");
        assert!(u.covers(&w(1, 29)) && u.covers(&w(50, 60)));
        assert!(!u.covers(&w(25, 55)), "a gap in the middle is not covered");
    }

    #[test]
    fn subtraction_leaves_what_is_still_to_read() {
        let want = Windows::of([w(0, 100), w(200, 300)]);
        let read = Windows::of([w(10, 20), w(90, 210), w(250, 400)]);
        assert_eq!(want.minus(&read).as_slice(), [w(0, 10), w(20, 90), w(210, 250)]);
        assert_eq!(want.minus(&Windows::default()), want);
        assert!(want.minus(&Windows::of([w(-5, 500)])).is_empty());
    }

    #[test]
    fn the_lookback_drops_what_is_older() {
        let mut u = Windows::of([w(0, 10), w(20, 30)]);
        u.retain_since(t(25));
        assert_eq!(u.as_slice(), [w(25, 30)]);
    }

    #[test]
    fn gaps_no_wider_than_the_bridge_are_filled() {
        let ws = Windows::of([w(0, 10), w(15, 20), w(40, 50), w(60, 61)]);
        let bridged = ws.bridged(jiff::SignedDuration::from_secs(10));
        assert_eq!(bridged.as_slice(), [w(0, 20), w(40, 61)], "gaps of 5 and 10 filled, 20 kept");
        assert_eq!(ws.bridged(jiff::SignedDuration::ZERO), ws, "no bridge, no change");
    }
}
