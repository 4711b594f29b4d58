//! One hop of a push's way to a run (push → event → rule → target → run): what kind, in which state, on what
//! evidence. The chain lists them; the hop checks shared by the chain and the diagnosis produce them.

/// One hop of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// Who pushed, from which account (CloudTrail `PutImage`).
    Push,
    /// The ECR event in the repository account's default bus.
    Event,
    /// An enabled rule whose pattern matches the push.
    Rule,
    /// The rule's target: this pipeline, with a role that may start it.
    Target,
    /// A run started by the event.
    Run,
}

impl HopKind {
    /// The hop's name in every front end (`hop` in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Event => "event",
            Self::Rule => "rule",
            Self::Target => "target",
            Self::Run => "run",
        }
    }
}

/// What pipewatch knows of a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopState {
    /// Seen (or documented to follow from what was seen).
    Established,
    /// Seen not to have happened, or inferred not to (the evidence says which).
    Broken,
    /// Not looked at, or not observable.
    NotChecked,
}

impl HopState {
    /// The state's name in every front end (`state` in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Established => "established",
            Self::Broken => "broken",
            Self::NotChecked => "not_checked",
        }
    }
}

/// One hop with what supports its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub hop: HopKind,
    pub state: HopState,
    /// For people: what was seen, or why it could not be.
    pub evidence: String,
}

impl Hop {
    /// A hop in `state`, with its evidence.
    pub fn new(hop: HopKind, state: HopState, evidence: impl Into<String>) -> Self {
        Self { hop, state, evidence: evidence.into() }
    }
}

/// The first broken hop, if any: where the push's way to a run ends.
pub fn first_broken(chain: &[Hop]) -> Option<&Hop> {
    chain.iter().find(|h| h.state == HopState::Broken)
}
