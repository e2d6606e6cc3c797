//! C ABI over Servo for weft-app-shell and weft-shell (work in progress).
pub use servo;
