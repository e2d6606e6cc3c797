//! The page side of app IPC (design §7): `window.weftIpc`, injected as a
//! user script so that it exists before the page's own scripts run.
//!
//! Page → host: `send()` queues the message; one POST to the app's own
//! `weft-app://<id>/.weft/ipc` is in flight at a time and carries every
//! queued message as a length-prefixed batch, so order holds and a burst
//! costs few requests. The first, empty POST says the bridge is ready.
//! Host → page: batches of strings handed to `__weftIpcDeliver` through
//! `evaluate_javascript`, again one at a time.

use std::collections::HashMap;

use servo::JSValue;

use crate::scheme::{BRIDGE_PATH, MAX_MESSAGE};

const SOURCE: &str = r#"(() => {
	"use strict";
	if (window !== window.top || window.weftIpc) {
		return;
	}
	const endpoint = ENDPOINT;
	const maxMessage = MAX_MESSAGE;
	const encoder = new TextEncoder();
	let outbox = [];
	let sending = false;
	let handler = null;
	const inbox = [];

	function frame(batch) {
		let size = 0;
		for (const m of batch) {
			size += 4 + m.bytes.length;
		}
		const body = new Uint8Array(size);
		const view = new DataView(body.buffer);
		let at = 0;
		for (const m of batch) {
			view.setUint32(at, m.bytes.length, true);
			body.set(m.bytes, at + 4);
			at += 4 + m.bytes.length;
		}
		return body;
	}

	function pump() {
		if (sending) {
			return;
		}
		sending = true;
		const batch = outbox;
		outbox = [];
		fetch(endpoint, { method: "POST", body: frame(batch), cache: "no-store" })
			.then((response) => response.text().then((text) => {
				if (!response.ok) {
					throw new Error("weftIpc: " + (text || response.status));
				}
			}))
			.then(() => batch.forEach((m) => m.resolve()),
				(error) => batch.forEach((m) => m.reject(error)))
			.finally(() => {
				sending = false;
				if (outbox.length > 0) {
					pump();
				}
			});
	}

	function drain() {
		while (handler !== null && inbox.length > 0) {
			const payload = inbox.shift();
			try {
				handler.call(weftIpc, payload);
			} catch (error) {
				setTimeout(() => {
					throw error;
				});
			}
		}
	}

	const weftIpc = {
		send(payload) {
			const text = typeof payload === "string" ? payload : JSON.stringify(payload);
			const bytes = encoder.encode(text);
			if (bytes.length === 0) {
				return Promise.reject(new TypeError("weftIpc: empty message"));
			}
			if (bytes.length > maxMessage) {
				return Promise.reject(new RangeError("weftIpc: message larger than 1 MiB"));
			}
			return new Promise((resolve, reject) => {
				outbox.push({ bytes, resolve, reject });
				pump();
			});
		},
		get onmessage() {
			return handler;
		},
		set onmessage(fn) {
			handler = typeof fn === "function" ? fn : null;
			drain();
		},
	};

	Object.defineProperty(window, "weftIpc", { value: weftIpc, enumerable: true });
	Object.defineProperty(window, "__weftIpcDeliver", {
		value: (messages) => {
			inbox.push(...messages);
			drain();
		},
	});
	pump();
})();
"#;

/// The bridge script for one origin ("weft-app://<app id>" or the system UI's).
pub fn source(origin: &str) -> String {
    let endpoint = format!("{origin}{BRIDGE_PATH}");
    SOURCE
        .replace("ENDPOINT", &js_string(&endpoint))
        .replace("MAX_MESSAGE", &MAX_MESSAGE.to_string())
}

/// The script that hands `messages` to the page.
pub fn delivery(messages: &[String]) -> String {
    let mut script = String::from("window.__weftIpcDeliver([");
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            script.push(',');
        }
        script.push_str(&js_string(message));
    }
    script.push_str("]);");
    script
}

/// A double-quoted JavaScript (and JSON) string literal.
pub fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A script result for C: a string as is, anything else as JSON.
pub fn result_text(value: &JSValue) -> String {
    match value {
        JSValue::String(s) => s.clone(),
        other => json(other),
    }
}

fn json(value: &JSValue) -> String {
    match value {
        JSValue::Undefined | JSValue::Null => "null".into(),
        JSValue::Boolean(b) => b.to_string(),
        JSValue::Number(n) if n.is_finite() => n.to_string(),
        JSValue::Number(_) => "null".into(),
        JSValue::String(s) => js_string(s),
        JSValue::Element(id)
        | JSValue::ShadowRoot(id)
        | JSValue::Frame(id)
        | JSValue::Window(id) => js_string(id),
        JSValue::Array(items) => {
            let items: Vec<String> = items.iter().map(json).collect();
            format!("[{}]", items.join(","))
        }
        JSValue::Object(map) => object(map),
    }
}

fn object(map: &HashMap<String, JSValue>) -> String {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let fields: Vec<String> = keys
        .into_iter()
        .map(|k| format!("{}:{}", js_string(k), json(&map[k])))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape() {
        assert_eq!(
            js_string("a\"b\\c\n\u{1}\u{2028}é"),
            "\"a\\\"b\\\\c\\n\\u0001\\u2028é\""
        );
        assert_eq!(
            delivery(&["x".into(), "{\"n\":1}".into()]),
            "window.__weftIpcDeliver([\"x\",\"{\\\"n\\\":1}\"]);"
        );
    }

    #[test]
    fn bridge_names_its_endpoint() {
        let s = source("weft-app://org.example.app");
        assert!(s.contains("\"weft-app://org.example.app/.weft/ipc\""));
        assert!(s.contains("const maxMessage = 1048576;"));
    }

    #[test]
    fn results() {
        assert_eq!(result_text(&JSValue::String("hi".into())), "hi");
        assert_eq!(result_text(&JSValue::Number(2.0)), "2");
        assert_eq!(
            result_text(&JSValue::Array(vec![JSValue::Boolean(true), JSValue::Null])),
            "[true,null]"
        );
    }
}
