//! An app's documents live at `http://<app id>.localhost/`, a tuple origin
//! that Servo counts as potentially trustworthy (`*.localhost`, servo-url's
//! `is_potentially_trustworthy`), so app pages are secure contexts
//! (`crypto.subtle` and the rest) and storage is keyed per app. A
//! `weft-app://` document would have an opaque origin: neither.
//!
//! `/.weft/kit/<file>` of that origin is the UI kit, from the engine's kit
//! directory (`weft_webview_engine_serve_kit`), whatever the package holds.
//!
//! Nothing under that origin comes from the network. A confined view answers
//! every load of it in its `load_web_resource` delegate from the package
//! directory (the same `open_beneath` as the `weft-app` scheme), and refuses
//! every other `http` load there: a load the delegate let pass would go to
//! Servo's HTTP stack. The bridge stays on `weft-app://<id>/.weft/ipc`
//! (the delegate sees no request body), a fetchable and secure scheme, so the
//! cross-origin POST is neither preflighted nor blocked as mixed content.

use std::io::Read;
use std::os::fd::AsFd;

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use servo::{WebResourceLoad, WebResourceResponse};
use url::Url;

use crate::scheme::{self, AppScheme};

const SUFFIX: &str = ".localhost";
/// A package file larger than this is not served into a page's memory.
const MAX_FILE: u64 = 256 << 20;

/// `http://<app id>.localhost/`, or None when the id cannot be a host name.
pub fn app_origin(app_id: &str) -> Option<Url> {
    let ok = !app_id.is_empty()
        && app_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !ok {
        return None;
    }
    let url = Url::parse(&format!("http://{app_id}{SUFFIX}/")).ok()?;
    let host = url.host_str()?;
    (host.strip_suffix(SUFFIX) == Some(app_id)).then_some(url)
}

/// The app whose origin `url` is in, if it is one: `http`, the default port,
/// a host `<id>.localhost`.
pub fn app_of(url: &Url) -> Option<&str> {
    if url.scheme() != "http" || url.port().is_some() {
        return None;
    }
    url.host_str()?.strip_suffix(SUFFIX)
}

/// `weft-app://<app_id>/<rest>` as the same path in the app's origin, so a
/// document that names the old scheme still gets a real origin.
pub fn document_url(app_id: &str, url: &Url) -> Option<Url> {
    if url.scheme() != scheme::SCHEME || url.host_str() != Some(app_id) {
        return None;
    }
    let mut out = app_origin(app_id)?;
    out.set_path(url.path());
    out.set_query(url.query());
    out.set_fragment(url.fragment());
    Some(out)
}

fn respond(load: WebResourceLoad, url: Url, code: StatusCode, headers: HeaderMap, body: Vec<u8>) {
    let reason = code.canonical_reason().unwrap_or("").as_bytes().to_vec();
    let mut response = WebResourceResponse::new(url).headers(headers);
    response.status_code = code;
    response.status_message = reason;
    let mut load = load.intercept(response);
    if !body.is_empty() {
        load.send_body_data(body);
    }
    load.finish();
}

fn text(load: WebResourceLoad, url: Url, code: StatusCode, body: &str) {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    respond(load, url, code, headers, body.as_bytes().to_vec());
}

/// Answers a top-level document load of `weft-app://<id>/…` with a document
/// that moves on to `target`, its place in the app's origin. (A load the
/// embedder starts from a delegate while this navigation is pending would
/// be dropped by the constellation, and a navigation request does not say
/// whether a frame or the top level asked.)
pub fn redirect(load: WebResourceLoad, target: &Url) {
    let url = load.request().url.clone();
    let body = format!(
        "<!DOCTYPE html><meta charset=\"utf-8\"><script>location.replace({});</script>\n",
        crate::bridge::js_string(target.as_str())
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    respond(load, url, StatusCode::OK, headers, body.into_bytes());
}

/// Answers a load of `url`, in `app_id`'s origin, from the app's package.
/// Every path ends in a response, a panic included: a load dropped
/// unanswered would go on to Servo's HTTP stack. The file is read here, on
/// the view's thread: `WebResourceLoad` cannot be sent to another thread,
/// and a load parked while a thread reads could be dropped unanswered when
/// the view goes away. Package files are local and small; the largest
/// served is `MAX_FILE`.
pub fn serve(apps: &AppScheme, app_id: &str, load: WebResourceLoad) {
    let url = load.request().url.clone();
    let method = load.request().method.clone();
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        package_file(apps, app_id, &url, &method)
    }));
    match answer {
        Ok(Ok((headers, body))) => respond(load, url, StatusCode::OK, headers, body),
        Ok(Err((code, message))) => text(load, url, code, message),
        Err(_) => text(
            load,
            url,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        ),
    }
}

type Answer = Result<(HeaderMap, Vec<u8>), (StatusCode, &'static str)>;

fn package_file(apps: &AppScheme, app_id: &str, url: &Url, method: &Method) -> Answer {
    if method != Method::GET && method != Method::HEAD {
        return Err((StatusCode::METHOD_NOT_ALLOWED, ""));
    }
    let Some(root) = apps.app_root(app_id) else {
        return Err((StatusCode::NOT_FOUND, "no such app"));
    };
    if url.path() == scheme::BRIDGE_PATH {
        return Err((StatusCode::NOT_FOUND, "not found"));
    }
    let mut path = scheme::percent_decode(url.path());
    // The UI kit's reserved path: from the kit directory, or not found;
    // never from the package.
    let root = match scheme::kit_file(&path) {
        Some(file) => {
            path = file;
            apps.kit_root()
                .ok_or((StatusCode::NOT_FOUND, "not found"))?
        }
        None => root,
    };
    if path.ends_with(b"/") {
        path.extend_from_slice(b"index.html");
    }
    let read = scheme::open_beneath(root.as_fd(), &path).and_then(|mut file| {
        let length = file.metadata().map_err(|e| e.to_string())?.len();
        if length > MAX_FILE {
            return Err("file too large".to_string());
        }
        let mut body = Vec::with_capacity(length as usize);
        file.read_to_end(&mut body).map_err(|e| e.to_string())?;
        Ok(body)
    });
    let body = read.map_err(|error| {
        log::info!("weftview: {}: {error}", url.as_str());
        (StatusCode::NOT_FOUND, "not found")
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(scheme::mime_type(&path)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    // Packages change only on update; a page must never see a stale copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if method == Method::HEAD {
        return Ok((headers, Vec::new()));
    }
    Ok((headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let origin = app_origin("org.example.app").unwrap();
        assert_eq!(origin.as_str(), "http://org.example.app.localhost/");
        assert_eq!(app_of(&origin), Some("org.example.app"));
        assert!(app_origin("Org.Example").is_none());
        assert!(app_origin("a/b").is_none());
        assert!(app_origin("").is_none());
        let port = Url::parse("http://org.example.app.localhost:8080/").unwrap();
        assert_eq!(app_of(&port), None);
        let https = Url::parse("https://org.example.app.localhost/").unwrap();
        assert_eq!(app_of(&https), None);
    }

    #[test]
    fn documents_move_to_the_origin() {
        let old = Url::parse("weft-app://org.example.app/ui/index.html?x=1#top").unwrap();
        assert_eq!(
            document_url("org.example.app", &old).unwrap().as_str(),
            "http://org.example.app.localhost/ui/index.html?x=1#top"
        );
        assert!(document_url("org.other.app", &old).is_none());
    }
}
