//! Helpers shared by the exported functions: panic containment, C strings and
//! the log callback.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::{self, AssertUnwindSafe};

/// Levels of the C header, numerically equal to libweft's `enum weft_log_level`.
pub const LOG_ERROR: c_int = 1;
pub const LOG_WARN: c_int = 2;
pub const LOG_INFO: c_int = 3;
pub const LOG_DEBUG: c_int = 4;

pub type LogFn = unsafe extern "C" fn(data: *mut c_void, level: c_int, message: *const c_char);

/// The C log callback. The header allows it to be called from any thread.
#[derive(Clone, Copy)]
pub struct LogSink {
    func: Option<LogFn>,
    data: *mut c_void,
}

// SAFETY: the header requires the log callback and its data to be usable from
// any thread; we never dereference `data` ourselves.
unsafe impl Send for LogSink {}
unsafe impl Sync for LogSink {}

impl LogSink {
    pub fn new(func: Option<LogFn>, data: *mut c_void) -> Self {
        Self { func, data }
    }

    pub fn log(&self, level: c_int, message: &str) {
        let Some(func) = self.func else {
            eprintln!("weftview: {message}");
            return;
        };
        let message = c_string(message);
        // SAFETY: a valid NUL-terminated string and the caller's own data.
        unsafe { func(self.data, level, message.as_ptr()) };
    }
}

/// A C string from any Rust string: interior NULs (which C cannot carry)
/// become U+FFFD.
pub fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default()
}

/// Borrows a C string as UTF-8; `None` for NULL or invalid UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn str_arg<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    CStr::from_ptr(p).to_str().ok()
}

/// Runs `f`, turning a panic into `fallback`: no unwind may cross into C.
pub fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            log::error!("weftview: internal error: {what}");
            fallback
        }
    }
}

/// Forwards the `log` crate (Servo's own diagnostics and ours) to C.
pub struct Logger {
    pub sink: LogSink,
    pub max: log::LevelFilter,
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= self.max
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => LOG_ERROR,
            log::Level::Warn => LOG_WARN,
            log::Level::Info => LOG_INFO,
            log::Level::Debug | log::Level::Trace => LOG_DEBUG,
        };
        self.sink
            .log(level, &format!("{}: {}", record.target(), record.args()));
    }

    fn flush(&self) {}
}

pub fn level_filter(level: c_int) -> log::LevelFilter {
    match level {
        i32::MIN..=0 => log::LevelFilter::Off,
        LOG_ERROR => log::LevelFilter::Error,
        LOG_WARN => log::LevelFilter::Warn,
        LOG_INFO => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    }
}
