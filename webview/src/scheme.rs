//! The `weft-app://<app id>/<path>` scheme: files of an app's package
//! directory. `/.weft/ipc` stays reserved (the page bridge once posted its
//! messages there; it speaks through the console now, bridge.rs).
//! The same handler serves the system shell's `weft-system://` scheme:
//! `weft-system://ui/<path>` from the system UI directory (with the shell's
//! bridge at the same reserved path) and `weft-system://app-icon/<app id>`,
//! the icon file an installed package's manifest names.
//!
//! This runs on Servo's network threads. Files are opened one path
//! component at a time below the package directory with `O_NOFOLLOW`, so
//! neither `..` nor a symlink leads out of it, and read in chunks by Servo's
//! file manager.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::future::{ready, Future};
use std::io::BufReader;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::{header, HeaderValue, Method, StatusCode};
use servo::protocol_handler::{
    DoneChannel, FetchContext, HttpStatus, ProtocolHandler, RelativePos, Request,
    ResourceFetchTiming, Response, ResponseBody, FILE_CHUNK_SIZE,
};
use servo::{WebResourceLoad, WebResourceResponse, WebViewId};

pub const SCHEME: &str = "weft-app";
/// The system shell's scheme, and its two hosts.
pub const SYSTEM_SCHEME: &str = "weft-system";
pub const SYSTEM_UI_HOST: &str = "ui";
pub const APP_ICON_HOST: &str = "app-icon";
/// Reserved for the bridge; a package file at this path is never served.
pub const BRIDGE_PATH: &str = "/.weft/ipc";
/// Reserved for the UI kit: `/.weft/kit/<file>` of every app (and of the
/// system UI) comes from the kit directory, never from a package. (Given
/// without its leading slashes: `open_beneath` skips any number of them.)
pub const KIT_PREFIX: &[u8] = b".weft/kit/";
/// Design §3: one message is at most 1 MiB.
pub const MAX_MESSAGE: usize = 1 << 20;
/// A confined view's bridge: whether the page may send to its component.
struct Bridge {
    connected: bool,
}

#[derive(Default)]
struct State {
    apps: HashMap<String, Arc<OwnedFd>>,
    /// The system UI directory (weft-system://ui/).
    system: Option<Arc<OwnedFd>>,
    /// The UI kit directory, served at `KIT_PREFIX` of every app.
    kit: Option<Arc<OwnedFd>>,
    /// App id → (package directory, icon path in it): weft-system://app-icon/.
    icons: HashMap<String, (Arc<OwnedFd>, Vec<u8>)>,
    bridges: HashMap<WebViewId, Bridge>,
}

pub struct AppScheme {
    state: Mutex<State>,
}

impl AppScheme {
    pub fn new() -> Self {
        Self {
            state: Mutex::default(),
        }
    }

    /// A panic on another thread must not take the scheme down with it.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn serve(&self, app_id: &str, dir: &str) -> Result<(), String> {
        let fd = open_dir(dir)?;
        self.state().apps.insert(app_id.to_string(), Arc::new(fd));
        Ok(())
    }

    pub fn serve_system(&self, dir: &str) -> Result<(), String> {
        let fd = open_dir(dir)?;
        self.state().system = Some(Arc::new(fd));
        Ok(())
    }

    pub fn serve_kit(&self, dir: &str) -> Result<(), String> {
        let fd = open_dir(dir)?;
        self.state().kit = Some(Arc::new(fd));
        Ok(())
    }

    /// The kit directory, if one is served.
    pub fn kit_root(&self) -> Option<Arc<OwnedFd>> {
        self.state().kit.clone()
    }

    /// `icon` is a path below `dir` ending in .png or .svg; it is opened
    /// (beneath `dir`, as any served file) only when requested.
    pub fn serve_icon(&self, app_id: &str, dir: &str, icon: &str) -> Result<(), String> {
        if !icon_type_ok(icon.as_bytes()) {
            return Err(format!("icon {icon}: not a .png or .svg file"));
        }
        let fd = open_dir(dir)?;
        self.state()
            .icons
            .insert(app_id.to_string(), (Arc::new(fd), icon.as_bytes().to_vec()));
        Ok(())
    }

    /// The package directory of `app_id`, if it is served.
    pub fn app_root(&self, app_id: &str) -> Option<Arc<OwnedFd>> {
        self.state().apps.get(app_id).cloned()
    }

    pub fn add_bridge(&self, webview_id: WebViewId) {
        self.state()
            .bridges
            .insert(webview_id, Bridge { connected: false });
    }

    pub fn remove_bridge(&self, webview_id: WebViewId) {
        self.state().bridges.remove(&webview_id);
    }

    pub fn set_connected(&self, webview_id: WebViewId, connected: bool) {
        if let Some(bridge) = self.state().bridges.get_mut(&webview_id) {
            bridge.connected = connected;
        }
    }

    pub fn is_connected(&self, webview_id: WebViewId) -> bool {
        self.state()
            .bridges
            .get(&webview_id)
            .is_some_and(|bridge| bridge.connected)
    }

    fn load(
        &self,
        request: &mut Request,
        done_chan: &mut DoneChannel,
        context: &FetchContext,
    ) -> Response {
        let url = request.current_url();
        let host = url.host_str().unwrap_or_default().to_string();
        let system = url.scheme() == SYSTEM_SCHEME;
        if url.path() == BRIDGE_PATH {
            return status_response(request, StatusCode::NOT_FOUND, "not found");
        }
        let timing = ResourceFetchTiming::new(request.timing_type());
        if request.method != Method::GET && request.method != Method::HEAD {
            return status_response(request, StatusCode::METHOD_NOT_ALLOWED, "");
        }
        let mut path = percent_decode(url.path());
        let kit = (!system || host == SYSTEM_UI_HOST)
            .then(|| kit_file(&path))
            .flatten();
        let root = if let Some(file) = kit {
            // The kit's, or nothing: a package never shadows it.
            path = file;
            self.kit_root()
        } else if !system {
            self.state().apps.get(&host).cloned()
        } else if host == SYSTEM_UI_HOST {
            self.state().system.clone()
        } else if host == APP_ICON_HOST {
            let app_id = String::from_utf8_lossy(path.strip_prefix(b"/").unwrap_or(&path));
            let icon = self.state().icons.get(app_id.as_ref()).cloned();
            icon.map(|(root, icon)| {
                path = icon;
                root
            })
        } else {
            None
        };
        let Some(root) = root else {
            return status_response(request, StatusCode::NOT_FOUND, "not found");
        };
        if path.ends_with(b"/") {
            path.extend_from_slice(b"index.html");
        }
        let file = match open_beneath(root.as_fd(), &path) {
            Ok(file) => file,
            Err(error) => {
                log::info!("weftview: {}: {error}", url.as_str());
                return status_response(request, StatusCode::NOT_FOUND, "not found");
            }
        };
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);

        let mut response = Response::new(url.clone(), timing);
        response.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(mime_type(&path)),
        );
        response
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if request.method == Method::HEAD {
            *response.body.lock() = ResponseBody::Done(Vec::new());
            return response;
        }
        let (mut done_sender, done_receiver) = tokio::sync::mpsc::unbounded_channel();
        *done_chan = Some((done_sender.clone(), done_receiver));
        *response.body.lock() = ResponseBody::Receiving(Vec::new());
        context.filemanager.fetch_file_in_chunks(
            &mut done_sender,
            BufReader::with_capacity(FILE_CHUNK_SIZE, file),
            response.body.clone(),
            context.cancellation_listener.clone(),
            RelativePos::from_opts(Some(0), None),
        );
        response
    }
}

pub struct Handler(pub Arc<AppScheme>);

impl ProtocolHandler for Handler {
    fn load<'a>(
        &'a self,
        request: &'a mut Request,
        done_chan: &mut DoneChannel,
        context: &FetchContext,
    ) -> Pin<Box<dyn Future<Output = Response> + Send + 'a>> {
        let response = crate::ffi::guard(None, || Some(self.0.load(request, done_chan, context)))
            .unwrap_or_else(|| {
                status_response(request, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            });
        Box::pin(ready(response))
    }

    // Scripts, modules and fetch() of the app's own files all need this: a
    // custom scheme's origin is opaque, so nothing would be same-origin.
    fn is_fetchable(&self) -> bool {
        true
    }

    fn is_secure(&self) -> bool {
        true
    }
}

/// Turns a load away with a network error, before any connection is made.
pub fn refuse(load: WebResourceLoad) {
    let url = load.request().url.clone();
    load.intercept(WebResourceResponse::new(url).status_code(StatusCode::FORBIDDEN))
        .cancel();
}

fn open_dir(dir: &str) -> Result<OwnedFd, String> {
    let path = CString::new(dir).map_err(|_| "NUL in path".to_string())?;
    // SAFETY: a valid C string; the result is checked.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// App icons are PNG or SVG images, nothing else.
pub fn icon_type_ok(path: &[u8]) -> bool {
    matches!(
        mime_type(path),
        "image/png" | "image/svg+xml; charset=utf-8"
    )
}

fn status_response(request: &Request, code: StatusCode, text: &str) -> Response {
    let timing = ResourceFetchTiming::new(request.timing_type());
    let mut response = Response::new(request.current_url(), timing);
    let reason = code.canonical_reason().unwrap_or("").as_bytes().to_vec();
    response.status = HttpStatus::new(code, reason);
    response.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    *response.body.lock() = ResponseBody::Done(text.as_bytes().to_vec());
    response
}

/// The file below the kit directory that `path` (a decoded URL path)
/// names, if it is in the kit's reserved path.
pub fn kit_file(path: &[u8]) -> Option<Vec<u8>> {
    let start = path.iter().position(|b| *b != b'/').unwrap_or(path.len());
    path[start..].strip_prefix(KIT_PREFIX).map(<[u8]>::to_vec)
}

pub fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Opens `path` (URL path bytes, '/'-separated) below `root`, refusing empty,
/// `.` and `..` components, NUL bytes, symlinks anywhere and anything that is
/// not a regular file.
pub fn open_beneath(root: BorrowedFd<'_>, path: &[u8]) -> Result<File, String> {
    let components: Vec<&[u8]> = path
        .split(|b| *b == b'/')
        .skip_while(|c| c.is_empty())
        .collect();
    let Some((last, dirs)) = components.split_last() else {
        return Err("empty path".into());
    };
    for component in &components {
        if component.is_empty() || *component == b"." || *component == b".." {
            return Err("bad path component".into());
        }
    }
    let mut held: Option<OwnedFd> = None;
    for dir in dirs {
        let at = held.as_ref().map_or(root.as_raw_fd(), |fd| fd.as_raw_fd());
        let fd = open_at(
            at,
            dir,
            libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )?;
        held = Some(fd);
    }
    let at = held.as_ref().map_or(root.as_raw_fd(), |fd| fd.as_raw_fd());
    // O_NONBLOCK: opening a FIFO for reading must not hang a network thread.
    let fd = open_at(
        at,
        last,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
    )?;
    let file = File::from(fd);
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".into());
    }
    Ok(file)
}

fn open_at(at: i32, name: &[u8], flags: i32) -> Result<OwnedFd, String> {
    let name = CString::new(name).map_err(|_| "NUL in path".to_string())?;
    // SAFETY: a valid directory fd and C string; the result is checked.
    let fd = unsafe { libc::openat(at, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Types by extension; text types say UTF-8 so the HTML parser never guesses.
pub fn mime_type(path: &[u8]) -> &'static str {
    let name = path.rsplit(|b| *b == b'/').next().unwrap_or_default();
    let ext = match name.iter().rposition(|b| *b == b'.') {
        Some(dot) => name[dot + 1..].to_ascii_lowercase(),
        None => Vec::new(),
    };
    match ext.as_slice() {
        b"html" | b"htm" => "text/html; charset=utf-8",
        b"css" => "text/css; charset=utf-8",
        b"js" | b"mjs" => "text/javascript; charset=utf-8",
        b"json" | b"map" => "application/json; charset=utf-8",
        b"txt" => "text/plain; charset=utf-8",
        b"xml" => "application/xml; charset=utf-8",
        b"svg" => "image/svg+xml; charset=utf-8",
        b"png" => "image/png",
        b"jpg" | b"jpeg" => "image/jpeg",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"avif" => "image/avif",
        b"ico" => "image/x-icon",
        b"bmp" => "image/bmp",
        b"woff" => "font/woff",
        b"woff2" => "font/woff2",
        b"ttf" => "font/ttf",
        b"otf" => "font/otf",
        b"wasm" => "application/wasm",
        b"mp3" => "audio/mpeg",
        b"ogg" => "audio/ogg",
        b"wav" => "audio/wav",
        b"mp4" => "video/mp4",
        b"webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("/a%20b/%2e%2E/x%"), b"/a b/../x%");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
    }

    #[test]
    fn kit_paths() {
        assert_eq!(
            kit_file(b"/.weft/kit/weft-ui-kit.js").as_deref(),
            Some(&b"weft-ui-kit.js"[..])
        );
        assert_eq!(
            kit_file(&percent_decode("/%2Eweft/kit/a.js")).as_deref(),
            Some(&b"a.js"[..])
        );
        assert_eq!(kit_file(b"//.weft/kit/a.js").as_deref(), Some(&b"a.js"[..]));
        assert_eq!(kit_file(b"/.weft/kit"), None);
        assert_eq!(kit_file(b"/ui/.weft/kit/a.js"), None);
    }

    #[test]
    fn icons_are_png_or_svg() {
        assert!(icon_type_ok(b"icons/app.png"));
        assert!(icon_type_ok(b"ICON.SVG"));
        assert!(!icon_type_ok(b"ui/index.html"));
        assert!(!icon_type_ok(b"icon"));
    }

    #[test]
    fn types() {
        assert_eq!(mime_type(b"/ui/index.HTML"), "text/html; charset=utf-8");
        assert_eq!(mime_type(b"/app.wasm"), "application/wasm");
        assert_eq!(mime_type(b"/noext"), "application/octet-stream");
    }
}
