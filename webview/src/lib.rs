//! libweftview: the C ABI over Servo that weft-app-shell and weft-shell link.
//!
//! `include/weft/webview.h` is the contract and documents every function.
//! Servo's delegate notifications are queued and handed to C callbacks from
//! `weft_webview_engine_dispatch`, outside any Servo borrow. Nothing unwinds
//! into C: every exported function runs under `ffi::guard`.
//!
//! The crate is not only a translation: it holds three pieces of policy that
//! the C side relies on and cannot see.
//!
//! - Origin confinement (`view.rs`, `origin.rs`): a view created for an app
//!   loads only that app's origins, `http://<id>.localhost/` (a secure
//!   context, answered from the package by the view itself, never by the
//!   network) and `weft-app://<id>/` (`about:blank`; `data:` and `blob:`
//!   as subresources, never as a document); every other navigation and load
//!   is refused and reported, loads outside any view are refused by the
//!   engine, and every permission request is denied.
//! - The package file server (`scheme.rs`): the `weft-app` scheme serves
//!   files of the app's package directory only, opened one component at a
//!   time with `O_NOFOLLOW`, so neither `..` nor a symlink leads out.
//! - The bridge (`bridge.rs`): `window.weftIpc`, the page's only channel to
//!   its component, injected before the page's scripts, with design §7's
//!   rules (order, 1 MiB messages, exact UTF-8) kept on both legs.
mod bridge;
mod engine;
mod ffi;
mod input;
mod origin;
mod scheme;
mod swgl;
mod swgl_gl;
mod view;
