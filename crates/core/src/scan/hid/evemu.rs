//! `evemu-record` files: recorded input event streams, replayed through the decoder in
//! tests and by the replay source.

/// One event of an evemu recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputEvent {
    pub ts_us: u64,
    pub ev_type: u16,
    pub code: u16,
    pub value: i32,
}

/// A parsed `evemu-record` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvemuRecording {
    /// from the `N:` line
    pub name: Option<String>,
    /// bus, vendor, product, version from the `I:` line
    pub id: Option<(u16, u16, u16, u16)>,
    pub events: Vec<InputEvent>,
}

/// A line of an evemu file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("evemu line {line}: {reason}: {text:?}")]
pub struct EvemuError {
    pub line: usize,
    pub reason: &'static str,
    pub text: String,
}

/// Parse `evemu-record` text: `E: sec.usec type code value` lines (type/code hex, value
/// decimal); `#` comments and `N:`, `I:`, `P:`, `B:`, `A:`, `L:`, `S:` headers are skipped.
pub fn parse_evemu(text: &str) -> Result<EvemuRecording, EvemuError> {
    let mut rec = EvemuRecording::default();
    for (i, raw_line) in text.lines().enumerate() {
        let line = raw_line.split('#').next().unwrap_or("").trim();
        let err = |reason| EvemuError {
            line: i + 1,
            reason,
            text: raw_line.chars().take(80).collect(),
        };
        if line.is_empty() {
            continue;
        }
        let (tag, rest) = line.split_once(':').ok_or_else(|| err("no tag"))?;
        let rest = rest.trim();
        match tag {
            "E" => {
                let mut it = rest.split_whitespace();
                let (Some(ts), Some(t), Some(c), Some(v), None) =
                    (it.next(), it.next(), it.next(), it.next(), it.next())
                else {
                    return Err(err("expected `sec.usec type code value`"));
                };
                let (sec, usec) = ts.split_once('.').ok_or_else(|| err("bad timestamp"))?;
                let sec: u64 = sec.parse().map_err(|_| err("bad seconds"))?;
                if usec.len() != 6 {
                    return Err(err("microseconds must have 6 digits"));
                }
                let usec: u64 = usec.parse().map_err(|_| err("bad microseconds"))?;
                rec.events.push(InputEvent {
                    ts_us: sec
                        .checked_mul(1_000_000)
                        .and_then(|s| s.checked_add(usec))
                        .ok_or_else(|| err("timestamp overflow"))?,
                    ev_type: u16::from_str_radix(t, 16).map_err(|_| err("bad type"))?,
                    code: u16::from_str_radix(c, 16).map_err(|_| err("bad code"))?,
                    value: v.parse().map_err(|_| err("bad value"))?,
                });
            }
            "N" => rec.name = Some(rest.to_owned()),
            "I" => {
                let v: Vec<u16> = rest
                    .split_whitespace()
                    .filter_map(|x| u16::from_str_radix(x, 16).ok())
                    .collect();
                if let [bus, vendor, product, version] = v[..] {
                    rec.id = Some((bus, vendor, product, version));
                }
            }
            "P" | "B" | "A" | "L" | "S" | "R" => {}
            _ => return Err(err("unknown line tag")),
        }
    }
    Ok(rec)
}
