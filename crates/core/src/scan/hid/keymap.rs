//! Linux input event codes and the keyboard layouts a scanner may emulate (US, DE):
//! which character a key with the current modifiers types.

use std::str::FromStr;

/// `EV_SYN` from linux/input-event-codes.h.
pub const EV_SYN: u16 = 0x00;
/// `EV_KEY`.
pub const EV_KEY: u16 = 0x01;
/// `EV_MSC`.
pub const EV_MSC: u16 = 0x04;

/// Key codes from linux/input-event-codes.h used by the layouts.
#[allow(missing_docs)]
pub mod keys {
    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_2: u16 = 3;
    pub const KEY_3: u16 = 4;
    pub const KEY_4: u16 = 5;
    pub const KEY_5: u16 = 6;
    pub const KEY_6: u16 = 7;
    pub const KEY_7: u16 = 8;
    pub const KEY_8: u16 = 9;
    pub const KEY_9: u16 = 10;
    pub const KEY_0: u16 = 11;
    pub const KEY_MINUS: u16 = 12;
    pub const KEY_EQUAL: u16 = 13;
    pub const KEY_BACKSPACE: u16 = 14;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_Q: u16 = 16;
    pub const KEY_W: u16 = 17;
    pub const KEY_E: u16 = 18;
    pub const KEY_R: u16 = 19;
    pub const KEY_T: u16 = 20;
    pub const KEY_Y: u16 = 21;
    pub const KEY_U: u16 = 22;
    pub const KEY_I: u16 = 23;
    pub const KEY_O: u16 = 24;
    pub const KEY_P: u16 = 25;
    pub const KEY_LEFTBRACE: u16 = 26;
    pub const KEY_RIGHTBRACE: u16 = 27;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_LEFTCTRL: u16 = 29;
    pub const KEY_A: u16 = 30;
    pub const KEY_S: u16 = 31;
    pub const KEY_D: u16 = 32;
    pub const KEY_F: u16 = 33;
    pub const KEY_G: u16 = 34;
    pub const KEY_H: u16 = 35;
    pub const KEY_J: u16 = 36;
    pub const KEY_K: u16 = 37;
    pub const KEY_L: u16 = 38;
    pub const KEY_SEMICOLON: u16 = 39;
    pub const KEY_APOSTROPHE: u16 = 40;
    pub const KEY_GRAVE: u16 = 41;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_BACKSLASH: u16 = 43;
    pub const KEY_Z: u16 = 44;
    pub const KEY_X: u16 = 45;
    pub const KEY_C: u16 = 46;
    pub const KEY_V: u16 = 47;
    pub const KEY_B: u16 = 48;
    pub const KEY_N: u16 = 49;
    pub const KEY_M: u16 = 50;
    pub const KEY_COMMA: u16 = 51;
    pub const KEY_DOT: u16 = 52;
    pub const KEY_SLASH: u16 = 53;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_KPASTERISK: u16 = 55;
    pub const KEY_LEFTALT: u16 = 56;
    pub const KEY_SPACE: u16 = 57;
    pub const KEY_CAPSLOCK: u16 = 58;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KPMINUS: u16 = 74;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KPPLUS: u16 = 78;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPDOT: u16 = 83;
    pub const KEY_102ND: u16 = 86;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_RIGHTCTRL: u16 = 97;
    pub const KEY_KPSLASH: u16 = 98;
    pub const KEY_RIGHTALT: u16 = 100;
    pub const KEY_NUMLOCK: u16 = 69;
    pub const KEY_SCROLLLOCK: u16 = 70;
    pub const KEY_LEFTMETA: u16 = 125;
    pub const KEY_RIGHTMETA: u16 = 126;
}
use keys::*;

/// A keyboard layout the scanner is configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// US QWERTY
    Us,
    /// German QWERTZ (T1)
    De,
}

/// Unknown layout name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown keyboard layout {0:?} (known: us, de)")]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "us" | "en-us" | "en_us" | "qwerty" => Ok(Layout::Us),
            "de" | "de-de" | "de_de" | "qwertz" | "german" => Ok(Layout::De),
            _ => Err(UnknownLayout(s.to_owned())),
        }
    }
}

const LETTERS: &[(u16, char)] = &[
    (KEY_Q, 'q'),
    (KEY_W, 'w'),
    (KEY_E, 'e'),
    (KEY_R, 'r'),
    (KEY_T, 't'),
    (KEY_Y, 'y'),
    (KEY_U, 'u'),
    (KEY_I, 'i'),
    (KEY_O, 'o'),
    (KEY_P, 'p'),
    (KEY_A, 'a'),
    (KEY_S, 's'),
    (KEY_D, 'd'),
    (KEY_F, 'f'),
    (KEY_G, 'g'),
    (KEY_H, 'h'),
    (KEY_J, 'j'),
    (KEY_K, 'k'),
    (KEY_L, 'l'),
    (KEY_Z, 'z'),
    (KEY_X, 'x'),
    (KEY_C, 'c'),
    (KEY_V, 'v'),
    (KEY_B, 'b'),
    (KEY_N, 'n'),
    (KEY_M, 'm'),
];

/// Keypad keys (NumLock assumed on, as scanners send them).
fn keypad(code: u16, layout: Layout) -> Option<char> {
    Some(match code {
        KEY_KP0 => '0',
        KEY_KP1 => '1',
        KEY_KP2 => '2',
        KEY_KP3 => '3',
        KEY_KP4 => '4',
        KEY_KP5 => '5',
        KEY_KP6 => '6',
        KEY_KP7 => '7',
        KEY_KP8 => '8',
        KEY_KP9 => '9',
        KEY_KPASTERISK => '*',
        KEY_KPMINUS => '-',
        KEY_KPPLUS => '+',
        KEY_KPSLASH => '/',
        KEY_KPDOT => match layout {
            Layout::Us => '.',
            Layout::De => ',',
        },
        _ => return None,
    })
}

/// Modifier state while translating one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mods {
    pub shift: bool,
    pub altgr: bool,
    pub ctrl: bool,
    pub caps: bool,
}

impl Layout {
    /// Translate one key press to a character, or `None` if the key has no character here.
    pub fn translate(self, code: u16, m: Mods) -> Option<char> {
        if m.ctrl {
            // FNC1/GS as most scanners send it: Ctrl + the key right of P (`]` on US, `+` on DE)
            return (code == KEY_RIGHTBRACE).then_some('\u{1D}');
        }
        if code == KEY_SPACE {
            return Some(' ');
        }
        if let Some(c) = keypad(code, self) {
            return Some(c);
        }
        if m.altgr {
            return match self {
                Layout::Us => None,
                Layout::De => Some(match code {
                    KEY_2 => '²',
                    KEY_3 => '³',
                    KEY_7 => '{',
                    KEY_8 => '[',
                    KEY_9 => ']',
                    KEY_0 => '}',
                    KEY_MINUS => '\\',
                    KEY_Q => '@',
                    KEY_E => '€',
                    KEY_RIGHTBRACE => '~',
                    KEY_102ND => '|',
                    KEY_M => 'µ',
                    _ => return None,
                }),
            };
        }
        // letters, with the QWERTZ swap
        let code_for_letter = match (self, code) {
            (Layout::De, KEY_Y) => KEY_Z,
            (Layout::De, KEY_Z) => KEY_Y,
            _ => code,
        };
        if let Some(&(_, c)) = LETTERS.iter().find(|(k, _)| *k == code_for_letter) {
            return Some(if m.shift ^ m.caps {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        let s = m.shift;
        let pick = |plain: char, shifted: char| Some(if s { shifted } else { plain });
        match self {
            Layout::Us => match code {
                KEY_1 => pick('1', '!'),
                KEY_2 => pick('2', '@'),
                KEY_3 => pick('3', '#'),
                KEY_4 => pick('4', '$'),
                KEY_5 => pick('5', '%'),
                KEY_6 => pick('6', '^'),
                KEY_7 => pick('7', '&'),
                KEY_8 => pick('8', '*'),
                KEY_9 => pick('9', '('),
                KEY_0 => pick('0', ')'),
                KEY_MINUS => pick('-', '_'),
                KEY_EQUAL => pick('=', '+'),
                KEY_LEFTBRACE => pick('[', '{'),
                KEY_RIGHTBRACE => pick(']', '}'),
                KEY_SEMICOLON => pick(';', ':'),
                KEY_APOSTROPHE => pick('\'', '"'),
                KEY_GRAVE => pick('`', '~'),
                KEY_BACKSLASH | KEY_102ND => pick('\\', '|'),
                KEY_COMMA => pick(',', '<'),
                KEY_DOT => pick('.', '>'),
                KEY_SLASH => pick('/', '?'),
                _ => None,
            },
            Layout::De => match code {
                KEY_1 => pick('1', '!'),
                KEY_2 => pick('2', '"'),
                KEY_3 => pick('3', '§'),
                KEY_4 => pick('4', '$'),
                KEY_5 => pick('5', '%'),
                KEY_6 => pick('6', '&'),
                KEY_7 => pick('7', '/'),
                KEY_8 => pick('8', '('),
                KEY_9 => pick('9', ')'),
                KEY_0 => pick('0', '='),
                KEY_MINUS => pick('ß', '?'),
                // dead keys on a desktop; a scanner's single press stands for the accent itself
                KEY_EQUAL => pick('´', '`'),
                KEY_LEFTBRACE => pick('ü', 'Ü'),
                KEY_RIGHTBRACE => pick('+', '*'),
                KEY_SEMICOLON => pick('ö', 'Ö'),
                KEY_APOSTROPHE => pick('ä', 'Ä'),
                KEY_GRAVE => pick('^', '°'),
                KEY_BACKSLASH => pick('#', '\''),
                KEY_102ND => pick('<', '>'),
                KEY_COMMA => pick(',', ';'),
                KEY_DOT => pick('.', ':'),
                KEY_SLASH => pick('-', '_'),
                _ => None,
            },
        }
    }
}
