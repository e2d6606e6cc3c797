//! The page side of app IPC (design §7): `window.weftIpc`, injected as a
//! user script so that it exists before the page's own scripts run.
//!
//! Page → host: each `send()` is one `console.dir(<secret>M<text>)`
//! through a bound copy of `console.dir` taken before any page script
//! runs. `dir` hands a string to the embedder as it is, and it is the one
//! console method with a message that captures no JS stack: Servo 0.7's
//! log, debug, info, warn and error all capture one of up to 128 frames
//! and throw it away (`Console::method`, `then_some(get_js_stack(cx))`
//! evaluates its argument whatever the level), and `count`, `time` and
//! `assert` keep state or reword the text. Servo's script thread hands console messages straight to the
//! embedder (no constellation, no network stack: one thread hand-off), in
//! order, one call one message. The secret is random per view and lives only
//! in the bridge's closure, which no page code can reach, so the page's own
//! console output can never pass for a message; the view reads and hides
//! every console message that carries it. The first, `<secret>H<document>`,
//! says the bridge is up, naming its document; the host answers with
//! whether it is connected, and until then `send()` queues.
//! Host → page: each message handed to `__weftIpcDeliver` through an
//! `evaluate_javascript` of its own, one in flight at a time, addressed to
//! the document that said hello last: one that reaches another document
//! (the view's previous one, still active while the new one loads) is not
//! taken there and goes again. One message a script, never several: each
//! script is a task, after which the page's microtasks run, so the code a
//! message's handler set going (a reply's `await`) runs before the next
//! message's handler, as with message events.

use std::collections::HashMap;

use servo::JSValue;

use crate::scheme::MAX_MESSAGE;

const SOURCE: &str = r#"(() => {
	"use strict";
	if (window !== window.top || window.weftIpc) {
		return;
	}
	const secret = SECRET;
	const documentId = String(Math.random()).slice(2) + "-" + performance.timeOrigin;
	const emit = console.dir.bind(console);
	const maxMessage = MAX_MESSAGE;
	const encoder = new TextEncoder();
	// Every send() once connected answers with this one promise: a new
	// promise each time costs SpiderMonkey a capture of the JS stack (its
	// async stacks are on in Servo).
	const sent = Object.freeze(Promise.resolve());
	let connected = null;
	let waiting = [];
	let handler = null;
	const inbox = [];

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

	function setConnected(up) {
		connected = up;
		const queued = waiting;
		waiting = [];
		for (const m of queued) {
			if (up) {
				emit(secret + "M" + m.text);
				m.resolve();
			} else {
				m.reject(new Error("weftIpc: not connected"));
			}
		}
	}

	const weftIpc = {
		send(payload) {
			const text = typeof payload === "string" ? payload : JSON.stringify(payload);
			if (typeof text !== "string" || text.length === 0) {
				return Promise.reject(new TypeError("weftIpc: empty message"));
			}
			if (text.length * 3 > maxMessage && encoder.encode(text).length > maxMessage) {
				return Promise.reject(new RangeError("weftIpc: message larger than 1 MiB"));
			}
			if (connected === true) {
				emit(secret + "M" + text);
				return sent;
			}
			if (connected === false) {
				return Promise.reject(new Error("weftIpc: not connected"));
			}
			return new Promise((resolve, reject) => {
				waiting.push({ text, resolve, reject });
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
		value: (to, up, message) => {
			if (to !== documentId) {
				return false;
			}
			if (typeof up === "boolean" && up !== connected) {
				setConnected(up);
			}
			if (typeof message === "string") {
				inbox.push(message);
			}
			drain();
			return true;
		},
	});
	emit(secret + "H" + documentId);
	// The first rendering update after the load event runs the frame
	// callback, then lays the document out and sends it to be drawn; the
	// timer runs after that update: the frame drawn next shows the page.
	const frame = window.requestAnimationFrame.bind(window);
	const later = window.setTimeout.bind(window);
	const laidOut = () => later(() => emit(secret + "F"));
	window.addEventListener("load", () => frame(laidOut), { once: true });
})();
"#;

/// What a console message of a view carries, if it comes from its bridge.
#[derive(Debug, PartialEq)]
pub enum Console<'a> {
    /// The bridge of a new document is up; its id.
    Hello(&'a str),
    Message(&'a str),
    /// The document is about to be laid out after its load event.
    Loaded,
    /// Not the bridge's: the page's own console output.
    Page,
}

/// Reads a console message of a view whose bridge has `secret`. Anything
/// before the secret is the label of a `console.group` the page opened.
pub fn console_message<'a>(message: &'a str, secret: &str) -> Console<'a> {
    let at = if message.starts_with(secret) {
        Some(0)
    } else {
        message.find(secret)
    };
    let Some(at) = at else {
        return Console::Page;
    };
    let rest = &message[at + secret.len()..];
    if let Some(text) = rest.strip_prefix('M') {
        Console::Message(text)
    } else if let Some(document) = rest.strip_prefix('H') {
        Console::Hello(document)
    } else if rest == "F" {
        Console::Loaded
    } else {
        Console::Page
    }
}

/// A fresh secret for one view's bridge: 128 random bits in hex.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    let mut got = 0;
    while got < bytes.len() {
        // SAFETY: writes at most the rest of `bytes`; the result is checked.
        let n = unsafe { libc::getrandom(bytes[got..].as_mut_ptr().cast(), bytes.len() - got, 0) };
        if n < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("getrandom: {error}"));
        }
        got += n as usize;
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The bridge script of one view, with its secret.
pub fn source(secret: &str) -> String {
    SOURCE
        .replace("SECRET", &js_string(secret))
        .replace("MAX_MESSAGE", &MAX_MESSAGE.to_string())
}

/// The script that hands `message` (if any) to the bridge of `document`,
/// and tells it whether the view is connected when `connected` is given.
/// Its value is true only where that document took them.
pub fn delivery(document: &str, connected: Option<bool>, message: Option<&str>) -> String {
    let mut script = String::from("window.__weftIpcDeliver !== undefined && __weftIpcDeliver(");
    script.push_str(&js_string(document));
    script.push_str(match connected {
        Some(true) => ",true,",
        Some(false) => ",false,",
        None => ",null,",
    });
    match message {
        Some(message) => script.push_str(&js_string(message)),
        None => script.push_str("null"),
    }
    script.push_str(");");
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
            delivery("d", None, Some("{\"n\":1}")),
            "window.__weftIpcDeliver !== undefined && \
             __weftIpcDeliver(\"d\",null,\"{\\\"n\\\":1}\");"
        );
        assert_eq!(
            delivery("d", Some(false), None),
            "window.__weftIpcDeliver !== undefined && __weftIpcDeliver(\"d\",false,null);"
        );
    }

    #[test]
    fn bridge_carries_its_secret() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret().unwrap());
        let s = source(&secret);
        assert!(s.contains(&format!("const secret = \"{secret}\";")));
        assert!(s.contains("const maxMessage = 1048576;"));
        // The one console method that captures no JS stack per message.
        assert!(s.contains("const emit = console.dir.bind(console);"));
        for method in ["log", "debug", "info", "warn", "error", "trace"] {
            assert!(!s.contains(&format!("console.{method}")), "{method}");
        }
    }

    #[test]
    fn console_messages() {
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            console_message(&format!("{secret}H1-2.5"), secret),
            Console::Hello("1-2.5")
        );
        assert_eq!(
            console_message(&format!("{secret}Mhé\n"), secret),
            Console::Message("hé\n")
        );
        // An open console.group's label comes first.
        assert_eq!(
            console_message(&format!("group  {secret}Mx"), secret),
            Console::Message("x")
        );
        assert_eq!(
            console_message(&format!("{secret}F"), secret),
            Console::Loaded
        );
        assert_eq!(
            console_message(&format!("{secret}Fx"), secret),
            Console::Page
        );
        assert_eq!(console_message("Mhello", secret), Console::Page);
        assert_eq!(
            console_message(&format!("{secret}X"), secret),
            Console::Page
        );
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
