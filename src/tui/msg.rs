//! The one message type the event loop feeds into `App::update`, and what `update` asks the loop to do.

use crossterm::event::Event;

use crate::poller::PollEvent;

/// Everything that can change the dashboard's state.
#[derive(Debug)]
pub enum Msg {
    /// A key, mouse or resize event read from the terminal.
    Input(Event),
    /// Progress or a result from the background poller.
    Poll(PollEvent),
    /// Time passed: spinner frames, ages, pending pushes reaching their deadline.
    Tick,
    /// A termination signal (SIGTERM, SIGHUP, SIGINT) asks to quit with this exit code.
    Signal(u8),
    /// Opening a console link failed: why (for the footer).
    OpenFailed(String),
}

/// Work `update` leaves to the event loop (the state itself does no I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing to do beyond redrawing.
    None,
    /// Wake the poller for an immediate poll of every idle profile.
    PollNow,
    /// Open this console URL in the browser (without waiting for it).
    Open(String),
    /// Put this text on the clipboard (OSC 52); it holds no control character.
    Copy(String),
}
