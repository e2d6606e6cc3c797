//! A view: one Servo WebView, rendered in software into memory or, when the
//! embedder hands over a Wayland surface, through EGL straight into it.
//!
//! Servo calls the delegate from inside `spin_event_loop`. The delegate only
//! records what happened; `flush`, run by dispatch after the spin, paints
//! and calls C. C may therefore call back into any function from a callback,
//! including `weft_webview_destroy` of the view being served.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dpi::PhysicalSize;
use euclid::Scale;
use raw_window_handle::{
    DisplayHandle, RawDisplayHandle, RawWindowHandle, WaylandDisplayHandle, WaylandWindowHandle,
    WindowHandle,
};
use servo::{
    ConsoleLogLevel, DevicePoint, InputEvent, JSValue, KeyState, KeyboardEvent, LoadStatus,
    Location, MouseButtonAction, MouseButtonEvent, MouseLeftViewportEvent, MouseMoveEvent,
    NavigationRequest, PermissionRequest, RenderingContext, SoftwareRenderingContext, TouchEvent,
    TouchEventType, TouchId, TouchPointerType, UserContentManager, UserScript, WebResourceLoad,
    WebView, WebViewBuilder, WebViewDelegate, WebViewId, WebViewPoint, WheelDelta, WheelEvent,
    WheelMode, WindowRenderingContext,
};
use url::Url;

use crate::bridge;
use crate::engine::{Engine, WakeFd};
use crate::ffi::{self, LogSink, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN};
use crate::input;
use crate::origin;
use crate::scheme::{self, AppScheme};
use crate::swgl::SwglRenderingContext;

type FrameFn =
    unsafe extern "C" fn(data: *mut c_void, rgba: *const u8, width: u32, height: u32, stride: u32);
type StatusFn = unsafe extern "C" fn(data: *mut c_void, status: c_int);
type MessageFn = unsafe extern "C" fn(data: *mut c_void, level: c_int, message: *const c_char);
type IpcFn = unsafe extern "C" fn(data: *mut c_void, message: *const c_char, len: usize);
type ClosedFn = unsafe extern "C" fn(data: *mut c_void, reason: *const c_char);
type DoneFn = unsafe extern "C" fn(data: *mut c_void, ok: bool, text: *const c_char);

/// `struct weft_webview_listener` of the header.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ViewListener {
    pub frame: Option<FrameFn>,
    pub load_status: Option<StatusFn>,
    pub console: Option<MessageFn>,
    pub ipc_message: Option<IpcFn>,
    pub closed: Option<ClosedFn>,
}

/// `struct weft_webview_options` of the header.
#[repr(C)]
pub struct ViewOptions {
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub app_id: *const c_char,
    pub url: *const c_char,
    pub listener: *const ViewListener,
    pub data: *mut c_void,
    pub wl_display: *mut c_void,
    pub wl_surface: *mut c_void,
    pub system: bool,
    pub renderer_of: *const View,
    pub bgra: bool,
}

/// A C completion callback and its data.
struct Done {
    func: DoneFn,
    data: *mut c_void,
}

enum Event {
    LoadStatus(LoadStatus),
    Console(c_int, String),
    Closed(String),
    Ipc(String),
    Refused(String),
    Finished(Done, Result<String, String>),
    /// A delivery went to the page: taken by the document it was addressed
    /// to, or not (another document, or none).
    Delivered(bool),
}

#[derive(Default)]
struct Bridge {
    /// The page's bridge said hello and has not navigated away since.
    ready: bool,
    /// The page is to hear whether the view is connected, with the next delivery.
    tell_state: bool,
    /// How many times a bridge said hello: a delivery that failed only
    /// unsets `ready` when no newer document's bridge said hello since.
    hellos: u64,
    /// The document whose bridge said hello last.
    document: String,
    /// Deliveries in a row that no document took.
    misses: u32,
    outbox: VecDeque<String>,
    /// The message being delivered (None: only the state), whether it told
    /// the state, and `hellos` when it was sent.
    in_flight: Option<(Option<String>, bool, u64)>,
}

pub struct ViewShared {
    me: Weak<ViewShared>,
    log: LogSink,
    scheme: Arc<AppScheme>,
    wake: Arc<WakeFd>,
    listener: ViewListener,
    data: *mut c_void,
    /// The confining host: the app id, or the system UI's host.
    app_id: Option<String>,
    /// The scheme app_id is a host of: weft-app, or weft-system for the shell.
    scheme_name: &'static str,
    rendering: Rc<dyn RenderingContext>,
    /// Frames go to the embedder's wl_surface (EGL), not to the frame callback.
    on_surface: bool,
    user_content: Rc<UserContentManager>,
    webview: RefCell<Option<WebView>>,
    webview_id: Cell<Option<WebViewId>>,
    events: RefCell<VecDeque<Event>>,
    frame_pending: Cell<bool>,
    /// Frames are drawn and presented once the first document is shown:
    /// before that they are of the empty initial document, and each one's
    /// paint and copy would hold up this thread, which serves every load of
    /// the page. A view without a bridge shows it once its head is parsed;
    /// a view with one once it is laid out after its load event (Servo lays
    /// a document out only then: the frames between are blank), or
    /// `FIRST_FRAME_HOLD` after its head was parsed, whichever comes first.
    document_shown: Cell<bool>,
    /// When the first document is shown at the latest.
    hold_until: Cell<Option<Instant>>,
    /// The bridge said the first document is being laid out after its load
    /// event: the next frame shows it.
    laying_out: Cell<bool>,
    presented: Cell<bool>,
    closed: Cell<bool>,
    /// Servo drops a load sent before the WebView's first document exists;
    /// such a load waits for the first load status.
    started: Cell<bool>,
    pending_load: RefCell<Option<Url>>,
    scale: Cell<f32>,
    /// The last pointer position, in device pixels: buttons and axes happen there.
    pointer: Cell<(f32, f32)>,
    bridge: RefCell<Bridge>,
    /// The last frame read back (software views), reused frame to frame.
    readback: RefCell<Vec<u8>>,
    /// The bridge's secret (bridge.rs), for confined views.
    secret: Option<String>,
    /// Software frames go out as B, G, R, A bytes, not R, G, B, A.
    bgra: bool,
}

/// How long after the first document's head was parsed its frames wait
/// for its load at most: longer than an app page takes from its head to
/// its laid-out frame here (15-45 ms in bench/launch), so the window's
/// first frame is the page, not the blank one before it.
const FIRST_FRAME_HOLD: Duration = Duration::from_millis(50);

/// Deliveries in a row no document takes before the bridge waits for the
/// next hello (each is one trip to the script thread and back).
const MAX_MISSES: u32 = 1000;

pub fn console_level(level: &ConsoleLogLevel) -> c_int {
    match level {
        ConsoleLogLevel::Error => LOG_ERROR,
        ConsoleLogLevel::Warn => LOG_WARN,
        ConsoleLogLevel::Log | ConsoleLogLevel::Info | ConsoleLogLevel::Dir => LOG_INFO,
        ConsoleLogLevel::Debug | ConsoleLogLevel::Trace => LOG_DEBUG,
    }
}

impl ViewShared {
    fn webview(&self) -> Option<WebView> {
        self.webview.borrow().clone()
    }

    fn push(&self, event: Event) {
        self.events.borrow_mut().push_back(event);
    }

    /// What a confined view may load. Navigation (a new document) is held to
    /// the app's own origin, `http://<id>.localhost/` (answered from the
    /// package, see origin.rs) or `weft-app://<id>/`; subresources may also
    /// be `data:` and `blob:`, which the page made itself.
    fn allowed(&self, url: &Url, navigation: bool) -> bool {
        let Some(app_id) = &self.app_id else {
            return true;
        };
        match url.scheme() {
            "http" if self.scheme_name == scheme::SCHEME => {
                origin::app_of(url) == Some(app_id.as_str())
            }
            s if s == self.scheme_name && url.host_str() == Some(app_id.as_str()) => true,
            // The system UI shows installed apps' icons.
            scheme::SYSTEM_SCHEME if self.scheme_name == scheme::SYSTEM_SCHEME => {
                !navigation && url.host_str() == Some(scheme::APP_ICON_HOST)
            }
            "about" => url.path() == "blank",
            "data" | "blob" => !navigation,
            _ => false,
        }
    }

    fn connected(&self) -> bool {
        self.webview_id
            .get()
            .is_some_and(|id| self.scheme.is_connected(id))
    }

    /// A console message from the page: its bridge's, or the page's own.
    fn console(&self, level: ConsoleLogLevel, message: String) {
        let Some(secret) = &self.secret else {
            self.push(Event::Console(console_level(&level), message));
            return;
        };
        match bridge::console_message(&message, secret) {
            bridge::Console::Hello(document) => {
                let mut bridge = self.bridge.borrow_mut();
                bridge.ready = true;
                bridge.tell_state = true;
                bridge.hellos += 1;
                bridge.document = document.to_string();
                bridge.misses = 0;
            }
            bridge::Console::Message(text) if text.len() > scheme::MAX_MESSAGE => {
                self.push(Event::Console(
                    LOG_WARN,
                    "weftview: dropped a page message larger than 1 MiB".into(),
                ));
            }
            bridge::Console::Message(text) => {
                if self.connected() {
                    self.push(Event::Ipc(text.to_string()));
                } else {
                    self.log
                        .log(LOG_WARN, "weftview: dropped a page message: not connected");
                }
            }
            bridge::Console::Loaded => self.laying_out.set(true),
            bridge::Console::Page => self.push(Event::Console(console_level(&level), message)),
        }
    }

    /// Runs after every spin of Servo's event loop.
    pub fn flush(&self) {
        loop {
            if self.closed.get() {
                return;
            }
            let event = self.events.borrow_mut().pop_front();
            let Some(event) = event else {
                break;
            };
            self.handle(event);
        }
        if !self.document_shown.get()
            && self
                .hold_until
                .get()
                .is_some_and(|until| Instant::now() >= until)
        {
            // Held long enough: the frame Servo has is shown as it is.
            self.document_shown.set(true);
            self.frame_pending.set(true);
        }
        if self.document_shown.get() && self.frame_pending.replace(false) {
            self.present();
        }
        if !self.closed.get() {
            self.pump_bridge();
        }
    }

    /// Where a document load of `url` goes: an app's `weft-app://<id>/`
    /// documents open in its origin.
    fn document_url(&self, url: Url) -> Url {
        match &self.app_id {
            Some(app_id) if self.scheme_name == scheme::SCHEME => {
                origin::document_url(app_id, &url).unwrap_or(url)
            }
            _ => url,
        }
    }

    fn handle(&self, event: Event) {
        let l = self.listener;
        match event {
            Event::LoadStatus(status) => {
                let pending = self.pending_load.borrow_mut().take();
                if let (Some(url), Some(webview)) = (pending, self.webview()) {
                    webview.load(url);
                }
                if let Some(f) = l.load_status {
                    let status = match status {
                        LoadStatus::Started => 0,
                        LoadStatus::HeadParsed => 1,
                        LoadStatus::Complete => 2,
                    };
                    // SAFETY: the caller's callback and data, as the header says.
                    unsafe { f(self.data, status) };
                }
            }
            Event::Console(level, message) => match l.console {
                Some(f) => {
                    let message = ffi::c_string(&message);
                    // SAFETY: as above, with a valid C string.
                    unsafe { f(self.data, level, message.as_ptr()) };
                }
                None => self.log.log(level, &format!("console: {message}")),
            },
            Event::Closed(reason) => {
                if let Some(f) = l.closed {
                    let reason = ffi::c_string(&reason);
                    // SAFETY: as above.
                    unsafe { f(self.data, reason.as_ptr()) };
                }
            }
            Event::Ipc(message) => {
                if let Some(f) = l.ipc_message {
                    // SAFETY: as above; the bytes stay valid for the call.
                    unsafe { f(self.data, message.as_ptr().cast(), message.len()) };
                }
            }
            Event::Refused(url) => {
                self.log
                    .log(LOG_WARN, &format!("weftview: refused load of {url}"));
            }
            Event::Finished(done, result) => {
                let (ok, text) = match result {
                    Ok(text) => (true, text),
                    Err(text) => (false, text),
                };
                let text = ffi::c_string(&text);
                // SAFETY: the callback and data given with the request.
                unsafe { (done.func)(done.data, ok, text.as_ptr()) };
            }
            Event::Delivered(taken) => {
                let mut bridge = self.bridge.borrow_mut();
                let (message, state, hellos) = bridge.in_flight.take().unwrap_or_default();
                if taken {
                    bridge.misses = 0;
                } else {
                    // Not taken (the previous document still active while
                    // the new one loads, or gone): the message goes again,
                    // to the document that said hello last.
                    if let Some(message) = message {
                        bridge.outbox.push_front(message);
                    }
                    if hellos == bridge.hellos {
                        bridge.tell_state |= state;
                        bridge.misses += 1;
                        if bridge.misses > MAX_MISSES {
                            // Its document went away: wait for the next hello.
                            bridge.ready = false;
                            bridge.tell_state = false;
                        }
                    }
                }
            }
        }
    }

    fn present(&self) {
        let Some(webview) = self.webview() else {
            return;
        };
        self.presented.set(true);
        webview.paint();
        if self.on_surface {
            // eglSwapBuffers commits the surface; the embedder only hears of it.
            self.rendering.present();
            if let Some(f) = self.listener.frame {
                let size = self.rendering.size();
                // SAFETY: NULL pixels mean "presented on the surface".
                unsafe { f(self.data, std::ptr::null(), size.width, size.height, 0) };
            }
            return;
        }
        let PhysicalSize { width, height } = self.rendering.size();
        let mut pixels = self.readback.borrow_mut();
        let read = self.read_frame(&mut pixels, width, height);
        if let (true, Some(f)) = (read, self.listener.frame) {
            // SAFETY: tightly packed RGBA rows, valid for the call.
            unsafe { f(self.data, pixels.as_ptr(), width, height, width * 4) };
        }
        drop(pixels);
        self.rendering.present();
    }

    /// Reads the frame just painted into `pixels`, RGBA (BGRA for a view
    /// made with `bgra`: SWGL's own order, read without a conversion) with
    /// the top row first. Servo's `read_to_image` does the same into a new buffer, then
    /// clones it to flip it: two fresh 4-byte-per-pixel allocations a frame,
    /// each page of which faults in (about as long as the read itself on
    /// llvmpipe); this buffer lives as long as the view.
    fn read_frame(&self, pixels: &mut Vec<u8>, width: u32, height: u32) -> bool {
        const RGBA: u32 = 0x1908;
        const BGRA: u32 = 0x80E1;
        const UNSIGNED_BYTE: u32 = 0x1401;
        const PACK_ROW_LENGTH: u32 = 0x0D02;
        if width == 0 || height == 0 {
            return false;
        }
        let stride = width as usize * 4;
        pixels.resize(stride * height as usize, 0);
        let gl = self.rendering.gleam_gl_api();
        // Servo's painter left its framebuffer bound and current; bind it
        // again as read_to_image does, with no vertex array (OSMesa).
        self.rendering.prepare_for_rendering();
        gl.bind_vertex_array(0);
        gl.pixel_store_i(PACK_ROW_LENGTH, 0);
        // An error left from before is not this read's.
        for _ in 0..8 {
            if gl.get_error() == 0 {
                break;
            }
        }
        let read = |format: u32, pixels: &mut [u8]| {
            gl.read_pixels_into_buffer(
                0,
                0,
                width as i32,
                height as i32,
                format,
                UNSIGNED_BYTE,
                pixels,
            );
            gl.get_error() == 0
        };
        let ok = if self.bgra && !read(BGRA, pixels) {
            // A GL without BGRA reads: RGBA, its R and B swapped here.
            let ok = read(RGBA, pixels);
            for px in pixels.chunks_exact_mut(4) {
                px.swap(0, 2);
            }
            ok
        } else {
            self.bgra || read(RGBA, pixels)
        };
        if !ok {
            self.log
                .log(LOG_WARN, "weftview: reading the frame back failed");
            return false;
        }
        // GL's rows run bottom to top: swap them in place.
        let rows = height as usize;
        for y in 0..rows / 2 {
            let (top, bottom) = pixels.split_at_mut((rows - 1 - y) * stride);
            top[y * stride..(y + 1) * stride].swap_with_slice(&mut bottom[..stride]);
        }
        true
    }

    fn pump_bridge(&self) {
        let script = {
            let mut bridge = self.bridge.borrow_mut();
            if !bridge.ready
                || bridge.in_flight.is_some()
                || (bridge.outbox.is_empty() && !bridge.tell_state)
            {
                return;
            }
            let told = std::mem::take(&mut bridge.tell_state);
            let state = told.then(|| self.connected());
            // One message a delivery: each runs in a script-thread task of
            // its own, after which the page's microtasks run, so what a
            // message's handler set going (a reply's awaiting code) has run
            // before the next message's handler, as with message events.
            // Several in one script would reach the handlers back to back.
            let message = bridge.outbox.pop_front();
            let script = bridge::delivery(&bridge.document, state, message.as_deref());
            bridge.in_flight = Some((message, told, bridge.hellos));
            script
        };
        let Some(webview) = self.webview() else {
            return;
        };
        let me = self.me.clone();
        webview.evaluate_javascript(script, move |result| {
            if let Some(view) = me.upgrade() {
                if let Err(error) = &result {
                    view.log.log(
                        LOG_DEBUG,
                        &format!("weftview: bridge delivery failed: {error:?}"),
                    );
                }
                let taken = matches!(result, Ok(JSValue::Boolean(true)));
                view.push(Event::Delivered(taken));
            }
        });
    }

    fn point(&self) -> WebViewPoint {
        let (x, y) = self.pointer.get();
        WebViewPoint::Device(DevicePoint::new(x, y))
    }

    fn input(&self, event: InputEvent) {
        if let Some(webview) = self.webview() {
            webview.notify_input_event(event);
            // Servo wants a spin after input; the C loop runs one on wake-up.
            self.wake.wake();
        }
    }

    /// Shows the first document's frames `hold` from now at the latest;
    /// a thread of its own wakes the loop then, should nothing else.
    fn hold(&self, hold: Duration) {
        self.hold_until.set(Some(Instant::now() + hold));
        let wake = self.wake.clone();
        let spawned = std::thread::Builder::new()
            .name("weftview-hold".into())
            .spawn(move || {
                std::thread::sleep(hold);
                wake.wake();
            });
        if spawned.is_err() {
            // No thread: shown at once rather than perhaps never.
            self.document_shown.set(true);
            self.frame_pending.set(true);
        }
    }

    fn close(&self) {
        self.closed.set(true);
        if let Some(id) = self.webview_id.get() {
            self.scheme.remove_bridge(id);
        }
        // Dropping the last handle closes the WebView in Servo, and breaks
        // the WebView → delegate → WebView cycle.
        let webview = self.webview.borrow_mut().take();
        drop(webview);
        self.events.borrow_mut().clear();
    }
}

impl WebViewDelegate for ViewShared {
    fn notify_new_frame_ready(&self, _webview: WebView) {
        if !self.document_shown.get() && self.laying_out.get() {
            // The first document's first layout, after its load event.
            self.document_shown.set(true);
        }
        self.frame_pending.set(self.document_shown.get());
    }

    fn notify_load_status_changed(&self, _webview: WebView, status: LoadStatus) {
        self.started.set(true);
        if status != LoadStatus::Started && !self.document_shown.get() {
            if self.secret.is_none() {
                self.document_shown.set(true);
                if status == LoadStatus::Complete && !self.presented.get() {
                    // Its first frame, should it have come before the news
                    // of its head.
                    self.frame_pending.set(true);
                }
            } else if self.hold_until.get().is_none() {
                self.hold(FIRST_FRAME_HOLD);
            }
        }
        if status == LoadStatus::Started {
            self.bridge.borrow_mut().ready = false;
        }
        self.push(Event::LoadStatus(status));
    }

    fn show_console_message(&self, _webview: WebView, level: ConsoleLogLevel, message: String) {
        self.console(level, message);
    }

    fn notify_closed(&self, _webview: WebView) {
        self.push(Event::Closed("closed by the page".into()));
    }

    fn notify_crashed(&self, _webview: WebView, reason: String, _backtrace: Option<String>) {
        self.push(Event::Closed(format!("crashed: {reason}")));
    }

    fn request_navigation(&self, _webview: WebView, request: NavigationRequest) {
        if self.allowed(&request.url, true) {
            request.allow();
        } else {
            self.push(Event::Refused(request.url.to_string()));
            request.deny();
        }
    }

    fn request_permission(&self, _webview: WebView, request: PermissionRequest) {
        request.deny();
    }

    fn load_web_resource(&self, _webview: WebView, load: WebResourceLoad) {
        let url = load.request().url.clone();
        let navigation = load.request().is_for_main_frame;
        if let (Some(app_id), true) = (&self.app_id, self.scheme_name == scheme::SCHEME) {
            // Answered here, or it would go out to the network.
            if origin::app_of(&url) == Some(app_id.as_str()) {
                origin::serve(&self.scheme, app_id, load);
                return;
            }
            // The page itself navigated to `weft-app://<id>/…` (the embedder's
            // loads are rewritten before they start): the document moves on
            // to the app's origin. Only the top-level document: a frame of
            // that URL keeps the scheme's opaque origin.
            if let (true, Some(target)) = (navigation, origin::document_url(app_id, &url)) {
                origin::redirect(load, &target);
                return;
            }
        }
        if !self.allowed(&url, navigation) {
            self.push(Event::Refused(url.to_string()));
            scheme::refuse(load);
        }
    }
}

/// The handle C holds.
pub struct View {
    shared: Rc<ViewShared>,
    engine: *const Engine,
}

impl View {
    fn engine(&self) -> &Engine {
        // SAFETY: the header requires views to be destroyed before their engine.
        unsafe { &*self.engine }
    }
}

/// # Safety
/// `engine` was returned by `weft_webview_engine_create`; `options` points to
/// valid options whose strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_create(
    engine: *const Engine,
    options: *const ViewOptions,
) -> *mut View {
    let (Some(engine), Some(options)) = (engine.as_ref(), options.as_ref()) else {
        return std::ptr::null_mut();
    };
    let system = options.system;
    let app_id = if system {
        if !options.app_id.is_null() {
            engine
                .log
                .log(LOG_ERROR, "weftview: a system view has no app id");
            return std::ptr::null_mut();
        }
        Some(scheme::SYSTEM_UI_HOST.to_string())
    } else if options.app_id.is_null() {
        None
    } else {
        match ffi::str_arg(options.app_id) {
            Some(id) => Some(id.to_string()),
            None => {
                engine.log.log(LOG_ERROR, "weftview: app id is not UTF-8");
                return std::ptr::null_mut();
            }
        }
    };
    let listener = options.listener.as_ref().copied().unwrap_or(ViewListener {
        frame: None,
        load_status: None,
        console: None,
        ipc_message: None,
        closed: None,
    });
    let url = if options.url.is_null() {
        None
    } else {
        match ffi::str_arg(options.url).map(Url::parse) {
            Some(Ok(url)) => Some(url),
            _ => {
                engine.log.log(LOG_ERROR, "weftview: bad initial URL");
                return std::ptr::null_mut();
            }
        }
    };
    if let (Some(app_id), false) = (&app_id, system) {
        if origin::app_origin(app_id).is_none() {
            engine.log.log(
                LOG_ERROR,
                &format!("weftview: app id {app_id:?} cannot name an origin"),
            );
            return std::ptr::null_mut();
        }
    }
    let url = match (&app_id, url) {
        (Some(app_id), Some(url)) if !system => {
            Some(origin::document_url(app_id, &url).unwrap_or(url))
        }
        (_, url) => url,
    };
    let (width, height, scale, data) = (options.width, options.height, options.scale, options.data);
    let bgra = options.bgra;
    let surface = WaylandSurface {
        display: options.wl_display,
        surface: options.wl_surface,
    };
    // Another software view's renderer, of this engine: its WebRender
    // and GL context with all they have compiled and cached.
    let shared_rendering = match options.renderer_of.as_ref() {
        None => None,
        Some(other)
            if std::ptr::eq(other.engine, engine)
                && !other.shared.closed.get()
                && !other.shared.on_surface
                && surface.display.is_null()
                && surface.surface.is_null() =>
        {
            if let Some(webview) = other.shared.webview() {
                webview.hide();
            }
            Some(other.shared.rendering.clone())
        }
        Some(_) => {
            engine.log.log(
                LOG_ERROR,
                "weftview: renderer_of must be an open software view of the same engine, \
                 for a software view",
            );
            return std::ptr::null_mut();
        }
    };
    ffi::guard(std::ptr::null_mut(), || {
        let geometry = (width, height, scale);
        let scheme_name = if system {
            scheme::SYSTEM_SCHEME
        } else {
            scheme::SCHEME
        };
        let confined = app_id.map(|host| (scheme_name, host));
        let target = Target {
            surface,
            shared: shared_rendering,
            bgra,
        };
        match create(engine, geometry, target, confined, url, listener, data) {
            Ok(view) => Box::into_raw(Box::new(view)),
            Err(message) => {
                engine.log.log(LOG_ERROR, &format!("weftview: {message}"));
                std::ptr::null_mut()
            }
        }
    })
}

/// The embedder's wl_display and wl_surface, both NULL for software rendering.
struct WaylandSurface {
    display: *mut c_void,
    surface: *mut c_void,
}

/// Where a new view draws: into a surface, with another view's renderer,
/// or (neither) into a new software context.
struct Target {
    surface: WaylandSurface,
    shared: Option<Rc<dyn RenderingContext>>,
    /// Software frames in B, G, R, A order.
    bgra: bool,
}

/// An EGL context drawing into the embedder's surface (on the GPU when Mesa
/// has one, else llvmpipe through wl_shm).
fn window_rendering(
    target: &WaylandSurface,
    size: PhysicalSize<u32>,
) -> Result<Rc<dyn RenderingContext>, String> {
    let (Some(display), Some(surface)) =
        (NonNull::new(target.display), NonNull::new(target.surface))
    else {
        return Err("no Wayland surface".to_string());
    };
    let display = RawDisplayHandle::Wayland(WaylandDisplayHandle::new(display));
    let window = RawWindowHandle::Wayland(WaylandWindowHandle::new(surface));
    // SAFETY: the embedder keeps both alive for the view's lifetime (header).
    let (display, window) = unsafe {
        (
            DisplayHandle::borrow_raw(display),
            WindowHandle::borrow_raw(window),
        )
    };
    let rendering = WindowRenderingContext::new(display, window, size)
        .map_err(|e| format!("EGL rendering context: {e:?}"))?;
    Ok(Rc::new(rendering))
}

/// Which software renderer a new software view gets: SWGL unless
/// `WEFT_WEBVIEW_SOFTWARE=llvmpipe` asks for Mesa's (through surfman).
fn wants_llvmpipe() -> bool {
    std::env::var_os("WEFT_WEBVIEW_SOFTWARE").is_some_and(|v| v == "llvmpipe")
}

/// A software context: SWGL (no Mesa, no libLLVM in the process), or
/// llvmpipe when asked for or when SWGL cannot start.
fn software_rendering(
    engine: &Engine,
    size: PhysicalSize<u32>,
) -> Result<Rc<dyn RenderingContext>, String> {
    if !wants_llvmpipe() {
        match SwglRenderingContext::new(size) {
            Ok(context) => return Ok(Rc::new(context)),
            Err(message) => engine.log.log(
                LOG_WARN,
                &format!(
                    "weftview: SWGL rendering context: {message}; rendering with llvmpipe instead"
                ),
            ),
        }
    }
    let context = SoftwareRenderingContext::new(size)
        .map_err(|e| format!("software rendering context: {e:?}"))?;
    Ok(Rc::new(context))
}

fn create(
    engine: &Engine,
    (width, height, scale): (u32, u32, f64),
    Target {
        surface: target,
        shared: reused,
        bgra,
    }: Target,
    confined: Option<(&'static str, String)>,
    url: Option<Url>,
    listener: ViewListener,
    data: *mut c_void,
) -> Result<View, String> {
    let scheme_name = confined.as_ref().map_or(scheme::SCHEME, |c| c.0);
    let app_id = confined.as_ref().map(|c| c.1.clone());
    if width == 0 || height == 0 || !(scale.is_finite() && scale > 0.0) {
        return Err(format!("bad view size {width}x{height} at scale {scale}"));
    }
    let size = PhysicalSize::new(width, height);
    let mut on_surface = false;
    // Servo keeps one painter (WebRender and its caches) per rendering
    // context, for as long as a WebView draws with it.
    let resize = reused.as_ref().is_some_and(|r| r.size() != size);
    let mut rendering: Option<Rc<dyn RenderingContext>> = reused;
    if !target.display.is_null() || !target.surface.is_null() {
        // surfman panics on some failures; those fall back to software too.
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            window_rendering(&target, size)
        }))
        .unwrap_or_else(|_| Err("EGL rendering context: surfman panicked".to_string()));
        match attempt {
            Ok(context) => {
                on_surface = true;
                rendering = Some(context);
            }
            Err(message) => engine.log.log(
                LOG_WARN,
                &format!("weftview: {message}; rendering in software instead"),
            ),
        }
    }
    let rendering = match rendering {
        Some(rendering) => rendering,
        None => software_rendering(engine, size)?,
    };
    let user_content = Rc::new(UserContentManager::new(&engine.servo));
    let secret = match &app_id {
        Some(_) => Some(bridge::new_secret()?),
        None => None,
    };
    if let Some(secret) = &secret {
        // Before the WebView exists, so that no document can miss it.
        user_content.add_script(Rc::new(UserScript::new(bridge::source(secret), None)));
    }
    let secret_set = secret.is_some();
    let shared = Rc::new_cyclic(|me| ViewShared {
        me: me.clone(),
        log: engine.log,
        scheme: engine.scheme.clone(),
        wake: engine.wake.clone(),
        listener,
        data,
        app_id: app_id.clone(),
        scheme_name,
        rendering: rendering.clone(),
        on_surface,
        user_content: user_content.clone(),
        webview: RefCell::new(None),
        webview_id: Cell::new(None),
        events: RefCell::new(VecDeque::new()),
        frame_pending: Cell::new(false),
        document_shown: Cell::new(url.is_none()),
        hold_until: Cell::new(None),
        laying_out: Cell::new(false),
        presented: Cell::new(false),
        closed: Cell::new(false),
        started: Cell::new(false),
        pending_load: RefCell::new(None),
        scale: Cell::new(scale as f32),
        pointer: Cell::new((0.0, 0.0)),
        bridge: RefCell::new(Bridge::default()),
        readback: RefCell::new(Vec::new()),
        secret,
        bgra,
    });
    let mut builder = WebViewBuilder::new(&engine.servo, rendering);
    if let Some(url) = url {
        builder = builder.url(url);
    }
    let webview = builder
        .delegate(shared.clone())
        .hidpi_scale_factor(Scale::new(scale as f32))
        .user_content_manager(user_content)
        .build();
    if resize {
        webview.resize(size);
    }
    let id = webview.id();
    shared.webview_id.set(Some(id));
    *shared.webview.borrow_mut() = Some(webview);
    if secret_set {
        engine.scheme.add_bridge(id);
    }
    let mut views = engine.views.borrow_mut();
    views.retain(|v| v.strong_count() > 0);
    views.push(Rc::downgrade(&shared));
    engine.wake.wake();
    Ok(View { shared, engine })
}

/// Runs `f` on a live view; NULL or closed views do nothing.
unsafe fn with_view<T>(view: *const View, fallback: T, f: impl FnOnce(&View) -> T) -> T {
    match view.as_ref() {
        Some(view) if !view.shared.closed.get() => ffi::guard(fallback, || f(view)),
        _ => fallback,
    }
}

/// # Safety
/// `view` is NULL or was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_destroy(view: *mut View) {
    if view.is_null() {
        return;
    }
    ffi::guard((), || {
        let view = Box::from_raw(view);
        view.shared.close();
        let me = Rc::downgrade(&view.shared);
        view.engine()
            .views
            .borrow_mut()
            .retain(|v| v.strong_count() > 0 && !v.ptr_eq(&me));
    });
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `url` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_load(view: *const View, url: *const c_char) -> bool {
    let url = ffi::str_arg(url).map(str::to_string);
    with_view(view, false, |view| {
        let parsed = url.as_deref().map(Url::parse);
        let Some(Ok(url)) = parsed else {
            view.shared
                .log
                .log(LOG_ERROR, &format!("weftview: bad URL {url:?}"));
            return false;
        };
        let Some(webview) = view.shared.webview() else {
            return false;
        };
        let url = view.shared.document_url(url);
        if view.shared.started.get() {
            webview.load(url);
        } else {
            *view.shared.pending_load.borrow_mut() = Some(url);
        }
        view.shared.wake.wake();
        true
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_resize(
    view: *const View,
    width: u32,
    height: u32,
    scale: f64,
) {
    with_view(view, (), |view| {
        if width == 0 || height == 0 || !(scale.is_finite() && scale > 0.0) {
            return;
        }
        let Some(webview) = view.shared.webview() else {
            return;
        };
        view.shared.scale.set(scale as f32);
        webview.set_hidpi_scale_factor(Scale::new(scale as f32));
        webview.resize(PhysicalSize::new(width, height));
        view.shared.wake.wake();
    })
}

/// # Safety
/// `view` is NULL or was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_renders_to_surface(view: *const View) -> bool {
    with_view(view, false, |view| view.shared.on_surface)
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_set_focused(view: *const View, focused: bool) {
    with_view(view, (), |view| {
        if let Some(webview) = view.shared.webview() {
            webview.set_focused(focused);
            view.shared.wake.wake();
        }
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_set_hidden(view: *const View, hidden: bool) {
    with_view(view, (), |view| {
        if let Some(webview) = view.shared.webview() {
            if hidden {
                webview.hide();
            } else {
                webview.show();
            }
            view.shared.wake.wake();
        }
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_pointer_motion(view: *const View, x: f64, y: f64) {
    with_view(view, (), |view| {
        let s = view.shared.scale.get();
        view.shared.pointer.set((x as f32 * s, y as f32 * s));
        view.shared.input(InputEvent::MouseMove(MouseMoveEvent::new(
            view.shared.point(),
        )));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_pointer_button(
    view: *const View,
    button: u32,
    pressed: bool,
) {
    with_view(view, (), |view| {
        let action = if pressed {
            MouseButtonAction::Down
        } else {
            MouseButtonAction::Up
        };
        let event = MouseButtonEvent::new(action, input::mouse_button(button), view.shared.point());
        view.shared.input(InputEvent::MouseButton(event));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_pointer_leave(view: *const View) {
    with_view(view, (), |view| {
        view.shared.input(InputEvent::MouseLeftViewport(
            MouseLeftViewportEvent::default(),
        ));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_pointer_axis(view: *const View, dx: f64, dy: f64) {
    with_view(view, (), |view| {
        let s = f64::from(view.shared.scale.get());
        // Wayland counts down/right as positive, Servo the other way round.
        let delta = WheelDelta {
            x: -dx * s,
            y: -dy * s,
            z: 0.0,
            mode: WheelMode::DeltaPixel,
        };
        view.shared.input(InputEvent::Wheel(WheelEvent::new(
            delta,
            view.shared.point(),
        )));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `text` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_key(
    view: *const View,
    keycode: u32,
    keysym: u32,
    text: *const c_char,
    modifiers: u32,
    pressed: bool,
    repeat: bool,
) {
    let text = ffi::str_arg(text).unwrap_or_default().to_string();
    with_view(view, (), |view| {
        let state = if pressed {
            KeyState::Down
        } else {
            KeyState::Up
        };
        let event = KeyboardEvent::new_without_event(
            state,
            input::key(keysym, &text),
            input::code(keycode),
            Location::Standard,
            input::modifiers(modifiers),
            repeat,
            false,
        );
        view.shared.input(InputEvent::Keyboard(event));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_touch(
    view: *const View,
    kind: c_int,
    id: i32,
    x: f64,
    y: f64,
) {
    with_view(view, (), |view| {
        let kind = match kind {
            0 => TouchEventType::Down,
            1 => TouchEventType::Move,
            2 => TouchEventType::Up,
            _ => TouchEventType::Cancel,
        };
        let s = view.shared.scale.get();
        let point = WebViewPoint::Device(DevicePoint::new(x as f32 * s, y as f32 * s));
        let event = TouchEvent::new(kind, TouchId(id), point, TouchPointerType::Touch);
        view.shared.input(InputEvent::Touch(event));
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `script` is NUL-terminated;
/// `done` is NULL or a function that accepts `data`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_evaluate_js(
    view: *const View,
    script: *const c_char,
    done: Option<DoneFn>,
    data: *mut c_void,
) -> bool {
    let Some(script) = ffi::str_arg(script).map(str::to_string) else {
        return false;
    };
    with_view(view, false, |view| {
        let Some(webview) = view.shared.webview() else {
            return false;
        };
        let me = view.shared.me.clone();
        webview.evaluate_javascript(script, move |result| {
            let (Some(view), Some(func)) = (me.upgrade(), done) else {
                return;
            };
            let result = result
                .map(|value| bridge::result_text(&value))
                .map_err(|error| format!("{error:?}"));
            view.push(Event::Finished(Done { func, data }, result));
        });
        view.shared.wake.wake();
        true
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `source` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_add_user_script(
    view: *const View,
    source: *const c_char,
) -> bool {
    let Some(source) = ffi::str_arg(source).map(str::to_string) else {
        return false;
    };
    with_view(view, false, |view| {
        view.shared
            .user_content
            .add_script(Rc::new(UserScript::new(source, None)));
        true
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `path` is NUL-terminated;
/// `done` is NULL or a function that accepts `data`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_save_png(
    view: *const View,
    path: *const c_char,
    done: Option<DoneFn>,
    data: *mut c_void,
) -> bool {
    let Some(path) = ffi::str_arg(path).map(str::to_string) else {
        return false;
    };
    with_view(view, false, |view| {
        let Some(webview) = view.shared.webview() else {
            return false;
        };
        let me = view.shared.me.clone();
        webview.take_screenshot(None, move |result| {
            let result = result
                .map_err(|error| format!("screenshot: {error:?}"))
                .and_then(|image| {
                    image
                        .save(&path)
                        .map(|()| path.clone())
                        .map_err(|error| format!("write {path}: {error}"))
                });
            if let (Some(view), Some(func)) = (me.upgrade(), done) {
                view.push(Event::Finished(Done { func, data }, result));
            }
        });
        view.shared.wake.wake();
        true
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`; `message` points to `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_post_message(
    view: *const View,
    message: *const c_char,
    len: usize,
) -> bool {
    if message.is_null() && len > 0 {
        return false;
    }
    let bytes = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(message.cast::<u8>(), len)
    };
    with_view(view, false, |view| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            view.shared
                .log
                .log(LOG_WARN, "weftview: dropped a message that is not UTF-8");
            return false;
        };
        if view.shared.app_id.is_none() {
            return false;
        }
        view.shared
            .bridge
            .borrow_mut()
            .outbox
            .push_back(text.to_string());
        // On its way at once, not after the next spin of the event loop.
        view.shared.pump_bridge();
        if !view.shared.bridge.borrow().outbox.is_empty() {
            view.shared.wake.wake();
        }
        true
    })
}

/// # Safety
/// `view` was returned by `weft_webview_create`.
#[no_mangle]
pub unsafe extern "C" fn weft_webview_set_ipc_connected(view: *const View, connected: bool) {
    with_view(view, (), |view| {
        if let Some(id) = view.shared.webview_id.get() {
            view.shared.scheme.set_connected(id, connected);
            // The page hears of it with its next delivery, or at once.
            view.shared.bridge.borrow_mut().tell_state = true;
            view.shared.wake.wake();
        }
    })
}
