//! Wayland input, as the C side receives it, turned into Servo's DOM-shaped
//! events: XKB keysyms to `key`, evdev keycodes to `code`, Linux button codes
//! to mouse buttons.

use servo::{Code, Key, Modifiers, MouseButton, NamedKey};

/// Modifier bits of the header (`WEFT_WEBVIEW_MOD_*`).
pub const MOD_SHIFT: u32 = 1 << 0;
pub const MOD_CTRL: u32 = 1 << 1;
pub const MOD_ALT: u32 = 1 << 2;
pub const MOD_LOGO: u32 = 1 << 3;
pub const MOD_CAPS: u32 = 1 << 4;
pub const MOD_NUM: u32 = 1 << 5;
pub const MOD_ALTGR: u32 = 1 << 6;

pub fn modifiers(bits: u32) -> Modifiers {
    let mut m = Modifiers::empty();
    for (bit, flag) in [
        (MOD_SHIFT, Modifiers::SHIFT),
        (MOD_CTRL, Modifiers::CONTROL),
        (MOD_ALT, Modifiers::ALT),
        (MOD_LOGO, Modifiers::META),
        (MOD_CAPS, Modifiers::CAPS_LOCK),
        (MOD_NUM, Modifiers::NUM_LOCK),
        (MOD_ALTGR, Modifiers::ALT_GRAPH),
    ] {
        if bits & bit != 0 {
            m |= flag;
        }
    }
    m
}

/// Linux input button codes (BTN_LEFT = 0x110, ...).
pub fn mouse_button(button: u32) -> MouseButton {
    match button {
        0x110 => MouseButton::Primary,
        0x111 => MouseButton::Secondary,
        0x112 => MouseButton::Auxiliary,
        0x113 | 0x116 => MouseButton::Back,
        0x114 | 0x115 => MouseButton::Forward,
        other => MouseButton::Other(other.min(u16::MAX as u32) as u16),
    }
}

/// The DOM `key`: a named key for the keysyms that have one, otherwise the
/// text the key produces.
pub fn key(keysym: u32, text: &str) -> Key {
    if let Some(named) = named_key(keysym) {
        return Key::Named(named);
    }
    if !text.is_empty() && !text.chars().any(char::is_control) {
        return Key::Character(text.to_string());
    }
    Key::Named(NamedKey::Unidentified)
}

fn named_key(keysym: u32) -> Option<NamedKey> {
    use NamedKey::*;
    Some(match keysym {
        0xff08 => Backspace,
        0xff09 | 0xfe20 => Tab,
        0xff0d | 0xff8d => Enter,
        0xff13 => Pause,
        0xff14 => ScrollLock,
        0xff1b => Escape,
        0xff50 | 0xff95 => Home,
        0xff51 | 0xff96 => ArrowLeft,
        0xff52 | 0xff97 => ArrowUp,
        0xff53 | 0xff98 => ArrowRight,
        0xff54 | 0xff99 => ArrowDown,
        0xff55 | 0xff9a => PageUp,
        0xff56 | 0xff9b => PageDown,
        0xff57 | 0xff9c => End,
        0xff61 => PrintScreen,
        0xff63 | 0xff9e => Insert,
        0xff67 => ContextMenu,
        0xff7f => NumLock,
        0xffff | 0xff9f => Delete,
        0xffbe => F1,
        0xffbf => F2,
        0xffc0 => F3,
        0xffc1 => F4,
        0xffc2 => F5,
        0xffc3 => F6,
        0xffc4 => F7,
        0xffc5 => F8,
        0xffc6 => F9,
        0xffc7 => F10,
        0xffc8 => F11,
        0xffc9 => F12,
        0xffe1 | 0xffe2 => Shift,
        0xffe3 | 0xffe4 => Control,
        0xffe5 => CapsLock,
        0xffe7 | 0xffe8 | 0xffeb | 0xffec => Meta,
        0xffe9 | 0xffea => Alt,
        0xfe03 => AltGraph,
        _ => return None,
    })
}

/// The DOM `code` of an evdev keycode (KEY_*, not the XKB keycode, which is 8 more).
pub fn code(keycode: u32) -> Code {
    use Code::*;
    match keycode {
        1 => Escape,
        2 => Digit1,
        3 => Digit2,
        4 => Digit3,
        5 => Digit4,
        6 => Digit5,
        7 => Digit6,
        8 => Digit7,
        9 => Digit8,
        10 => Digit9,
        11 => Digit0,
        12 => Minus,
        13 => Equal,
        14 => Backspace,
        15 => Tab,
        16 => KeyQ,
        17 => KeyW,
        18 => KeyE,
        19 => KeyR,
        20 => KeyT,
        21 => KeyY,
        22 => KeyU,
        23 => KeyI,
        24 => KeyO,
        25 => KeyP,
        26 => BracketLeft,
        27 => BracketRight,
        28 => Enter,
        29 => ControlLeft,
        30 => KeyA,
        31 => KeyS,
        32 => KeyD,
        33 => KeyF,
        34 => KeyG,
        35 => KeyH,
        36 => KeyJ,
        37 => KeyK,
        38 => KeyL,
        39 => Semicolon,
        40 => Quote,
        41 => Backquote,
        42 => ShiftLeft,
        43 => Backslash,
        44 => KeyZ,
        45 => KeyX,
        46 => KeyC,
        47 => KeyV,
        48 => KeyB,
        49 => KeyN,
        50 => KeyM,
        51 => Comma,
        52 => Period,
        53 => Slash,
        54 => ShiftRight,
        55 => NumpadMultiply,
        56 => AltLeft,
        57 => Space,
        58 => CapsLock,
        59 => F1,
        60 => F2,
        61 => F3,
        62 => F4,
        63 => F5,
        64 => F6,
        65 => F7,
        66 => F8,
        67 => F9,
        68 => F10,
        69 => NumLock,
        70 => ScrollLock,
        71 => Numpad7,
        72 => Numpad8,
        73 => Numpad9,
        74 => NumpadSubtract,
        75 => Numpad4,
        76 => Numpad5,
        77 => Numpad6,
        78 => NumpadAdd,
        79 => Numpad1,
        80 => Numpad2,
        81 => Numpad3,
        82 => Numpad0,
        83 => NumpadDecimal,
        86 => IntlBackslash,
        87 => F11,
        88 => F12,
        96 => NumpadEnter,
        97 => ControlRight,
        98 => NumpadDivide,
        99 => PrintScreen,
        100 => AltRight,
        102 => Home,
        103 => ArrowUp,
        104 => PageUp,
        105 => ArrowLeft,
        106 => ArrowRight,
        107 => End,
        108 => ArrowDown,
        109 => PageDown,
        110 => Insert,
        111 => Delete,
        119 => Pause,
        125 => MetaLeft,
        126 => MetaRight,
        127 => ContextMenu,
        _ => Unidentified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key(0xff52, ""), Key::Named(NamedKey::ArrowUp));
        assert_eq!(key(0x2b, "+"), Key::Character("+".into()));
        assert_eq!(key(0x73, "\u{13}"), Key::Named(NamedKey::Unidentified));
        assert_eq!(code(19), Code::KeyR);
        assert!(modifiers(MOD_SHIFT | MOD_CTRL).contains(Modifiers::SHIFT | Modifiers::CONTROL));
    }
}
