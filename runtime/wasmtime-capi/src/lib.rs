//! Re-exports the Wasmtime C API so that cargo links it into one static
//! library for weft-runtime.
pub use wasmtime_c_api::*;
