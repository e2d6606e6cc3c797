//! libweftview: the C ABI over Servo that weft-app-shell and weft-shell link.
//!
//! `include/weft/webview.h` is the contract and documents every function. This
//! crate only translates: C calls become Servo calls, Servo's delegate
//! notifications are queued and handed to C callbacks from
//! `weft_webview_engine_dispatch`, outside any Servo borrow. Nothing unwinds
//! into C: every exported function runs under `ffi::guard`.

mod bridge;
mod engine;
mod ffi;
mod input;
mod scheme;
mod view;
