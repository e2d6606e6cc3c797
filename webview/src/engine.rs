//! The engine: one Servo per process, woken through an eventfd that the C
//! side polls, and the `weft-app` scheme it serves.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use servo::protocol_handler::ProtocolRegistry;
use servo::{
    ConsoleLogLevel, EventLoopWaker, Preferences, Servo, ServoBuilder, ServoDelegate, ServoError,
    WebResourceLoad,
};

use crate::ffi::{self, LogFn, LogSink, LOG_ERROR, LOG_WARN};
use crate::scheme::{self, AppScheme};
use crate::view::ViewShared;

/// Servo keeps process-wide state (options, preferences, the JS engine).
static ENGINE_CREATED: AtomicBool = AtomicBool::new(false);

/// The eventfd that tells the C event loop to call dispatch.
pub struct WakeFd(OwnedFd);

impl WakeFd {
    fn new() -> std::io::Result<Self> {
        // SAFETY: plain syscall; the result is checked before use.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(Self(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a local. EAGAIN (counter saturated)
        // still leaves the fd readable, which is all a wake-up needs.
        unsafe {
            libc::write(
                self.0.as_raw_fd(),
                (&one as *const u64).cast::<c_void>(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a local; non-blocking.
        unsafe {
            libc::read(
                self.0.as_raw_fd(),
                (&mut count as *mut u64).cast::<c_void>(),
                std::mem::size_of::<u64>(),
            )
        };
    }
}

#[derive(Clone)]
pub struct Waker(pub Arc<WakeFd>);

impl EventLoopWaker for Waker {
    fn clone_box(&self) -> Box<dyn EventLoopWaker> {
        Box::new(self.clone())
    }

    fn wake(&self) {
        self.0.wake();
    }
}

/// Loads that belong to no view (service workers and the like) get no network either.
struct EngineDelegate {
    log: LogSink,
}

impl ServoDelegate for EngineDelegate {
    fn notify_error(&self, error: ServoError) {
        self.log
            .log(LOG_ERROR, &format!("weftview: servo error: {error:?}"));
    }

    fn load_web_resource(&self, load: WebResourceLoad) {
        let url = load.request().url.clone();
        if url.scheme() != scheme::SCHEME && url.scheme() != scheme::SYSTEM_SCHEME {
            self.log.log(
                LOG_WARN,
                &format!("weftview: refused load of {url} outside any view"),
            );
            scheme::refuse(load);
        }
    }

    fn show_console_message(&self, level: ConsoleLogLevel, message: String) {
        self.log.log(
            crate::view::console_level(&level),
            &format!("console: {message}"),
        );
    }
}

pub struct Engine {
    pub servo: Servo,
    pub wake: Arc<WakeFd>,
    pub scheme: Arc<AppScheme>,
    pub views: RefCell<Vec<Weak<ViewShared>>>,
    pub log: LogSink,
}

impl Engine {
    fn dispatch(&self) {
        self.wake.drain();
        self.servo.spin_event_loop();
        for view in self.live_views() {
            view.flush();
        }
    }

    pub fn live_views(&self) -> Vec<Rc<ViewShared>> {
        self.views
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }
}

/// `struct weft_webview_engine_options` of the header.
#[repr(C)]
pub struct EngineOptions {
    pub log: Option<LogFn>,
    pub log_data: *mut c_void,
    pub log_level: c_int,
}

/// # Safety
/// `options` is NULL or points to a valid `struct weft_webview_engine_options`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_create(options: *const EngineOptions) -> *mut Engine {
    let (sink, level) = match options.as_ref() {
        Some(o) => (LogSink::new(o.log, o.log_data), o.log_level),
        None => (LogSink::new(None, std::ptr::null_mut()), ffi::LOG_WARN),
    };
    ffi::guard(std::ptr::null_mut(), || {
        if ENGINE_CREATED.swap(true, Ordering::SeqCst) {
            sink.log(LOG_ERROR, "weftview: one engine per process");
            return std::ptr::null_mut();
        }
        match create(sink, level) {
            Ok(engine) => Box::into_raw(Box::new(engine)),
            Err(message) => {
                sink.log(LOG_ERROR, &format!("weftview: {message}"));
                ENGINE_CREATED.store(false, Ordering::SeqCst);
                std::ptr::null_mut()
            }
        }
    })
}

/// WebRender on llvmpipe takes its texture atlases (up to 16 MiB each),
/// frames and staging buffers from malloc. glibc's mmap threshold climbs to
/// the size of the first such block freed (the prewarmed shell's throwaway
/// view, a frame copy), after which every later one comes from the main heap
/// and its memory stays with the process when freed. A fixed threshold (which
/// also stops the climb) maps each block of 1 MiB or more on its own and
/// gives it back to the system on free: bench/memory, 5 apps, about 7 MB
/// less private dirty memory per app and 6 MB less for the spare.
fn keep_large_blocks_apart() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets a parameter of glibc's allocator; it fails
    // (returning 0) only for an unknown parameter or a value out of range.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn create(sink: LogSink, level: c_int) -> Result<Engine, String> {
    let max = ffi::level_filter(level);
    // Fails only when the embedding program installed its own logger first.
    if log::set_boxed_logger(Box::new(ffi::Logger { sink, max })).is_ok() {
        log::set_max_level(max);
    }
    keep_large_blocks_apart();
    // Servo's TLS stack wants a process default; the result only says
    // whether one was already installed.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let wake = Arc::new(WakeFd::new().map_err(|e| format!("eventfd: {e}"))?);
    let waker = Waker(wake.clone());
    let scheme = Arc::new(AppScheme::new());
    let mut protocols = ProtocolRegistry::default();
    protocols
        .register(scheme::SCHEME, scheme::Handler(scheme.clone()))
        .map_err(|e| format!("register {}: {e:?}", scheme::SCHEME))?;
    protocols
        .register(scheme::SYSTEM_SCHEME, scheme::Handler(scheme.clone()))
        .map_err(|e| format!("register {}: {e:?}", scheme::SYSTEM_SCHEME))?;

    let preferences = Preferences {
        devtools_server_enabled: false,
        dom_serviceworker_enabled: false,
        ..Preferences::default()
    };

    let servo = ServoBuilder::default()
        .preferences(preferences)
        .event_loop_waker(Box::new(waker))
        .protocol_registry(protocols)
        .build();
    servo.set_delegate(Rc::new(EngineDelegate { log: sink }));

    Ok(Engine {
        servo,
        wake,
        scheme,
        views: RefCell::new(Vec::new()),
        log: sink,
    })
}

/// # Safety
/// `engine` is NULL or was returned by `weft_webview_engine_create`, and
/// every view of it was destroyed.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_destroy(engine: *mut Engine) {
    if engine.is_null() {
        return;
    }
    ffi::guard((), || {
        // Dropping Servo shuts its threads down, spinning until they are done.
        drop(Box::from_raw(engine));
    });
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_get_fd(engine: *const Engine) -> c_int {
    match engine.as_ref() {
        Some(engine) => engine.wake.0.as_raw_fd(),
        None => -1,
    }
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; called on the
/// thread that created it, never from inside one of its callbacks.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_dispatch(engine: *const Engine) {
    let Some(engine) = engine.as_ref() else {
        return;
    };
    ffi::guard((), || engine.dispatch());
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; `app_id` and `dir`
/// are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_serve_app(
    engine: *const Engine,
    app_id: *const c_char,
    dir: *const c_char,
) -> bool {
    let Some(engine) = engine.as_ref() else {
        return false;
    };
    let (Some(app_id), Some(dir)) = (ffi::str_arg(app_id), ffi::str_arg(dir)) else {
        engine.log.log(
            LOG_ERROR,
            "weftview: serve_app: app id and directory must be UTF-8",
        );
        return false;
    };
    ffi::guard(false, || match engine.scheme.serve(app_id, dir) {
        Ok(()) => true,
        Err(message) => {
            engine.log.log(
                LOG_ERROR,
                &format!("weftview: serve {app_id} from {dir}: {message}"),
            );
            false
        }
    })
}

/// Serves a directory of WEFT's own (the system UI, the UI kit) through
/// `serve`, saying in the log what failed.
///
/// # Safety
/// As the exported functions that call it: `engine` from
/// `weft_webview_engine_create`, `dir` NUL-terminated.
unsafe fn serve_dir(
    engine: *const Engine,
    dir: *const c_char,
    call: &str,
    what: &str,
    serve: fn(&AppScheme, &str) -> Result<(), String>,
) -> bool {
    let Some(engine) = engine.as_ref() else {
        return false;
    };
    let Some(dir) = ffi::str_arg(dir) else {
        engine.log.log(
            LOG_ERROR,
            &format!("weftview: {call}: the directory must be UTF-8"),
        );
        return false;
    };
    ffi::guard(false, || match serve(&engine.scheme, dir) {
        Ok(()) => true,
        Err(message) => {
            engine.log.log(
                LOG_ERROR,
                &format!("weftview: serve {what} from {dir}: {message}"),
            );
            false
        }
    })
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; `dir` is a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_serve_system(
    engine: *const Engine,
    dir: *const c_char,
) -> bool {
    serve_dir(
        engine,
        dir,
        "serve_system",
        "the system UI",
        AppScheme::serve_system,
    )
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; the strings are
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_serve_app_icon(
    engine: *const Engine,
    app_id: *const c_char,
    dir: *const c_char,
    icon: *const c_char,
) -> bool {
    let Some(engine) = engine.as_ref() else {
        return false;
    };
    let (Some(app_id), Some(dir), Some(icon)) =
        (ffi::str_arg(app_id), ffi::str_arg(dir), ffi::str_arg(icon))
    else {
        engine.log.log(
            LOG_ERROR,
            "weftview: serve_app_icon: arguments must be UTF-8",
        );
        return false;
    };
    ffi::guard(false, || {
        match engine.scheme.serve_icon(app_id, dir, icon) {
            Ok(()) => true,
            Err(message) => {
                engine
                    .log
                    .log(LOG_WARN, &format!("weftview: icon of {app_id}: {message}"));
                false
            }
        }
    })
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; `dir` is a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_engine_serve_kit(
    engine: *const Engine,
    dir: *const c_char,
) -> bool {
    serve_dir(engine, dir, "serve_kit", "the UI kit", AppScheme::serve_kit)
}
