//! Reservations as an iCalendar document (RFC 5545): one all-day `VEVENT` a
//! reservation, its text escaped and its lines folded as the format wants, so any
//! calendar app can subscribe to a person's feed.

use tagstation_core::reservations::{shift_day, ReservationState};
use tagstation_ops::reservations::ReservationView;

/// A `VCALENDAR` named `name` with one event a reservation. `host` makes the events'
/// `UID`s unique beyond this hub.
pub fn calendar(name: &str, host: &str, reservations: &[ReservationView]) -> String {
    let mut out = String::new();
    let mut line = |l: String| fold(&mut out, &l);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//tagstation//reservations//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", text(name)));
    let stamp = stamp();
    for r in reservations {
        // All-day events end on the day after their last (DTEND is exclusive).
        let Some(after) = shift_day(&r.ends, 1) else {
            continue;
        };
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}@{}", r.id, text(host)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART;VALUE=DATE:{}", compact(&r.starts)));
        line(format!("DTEND;VALUE=DATE:{}", compact(&after)));
        line(format!(
            "SUMMARY:{}",
            text(&format!("Reserved: {}", r.what()))
        ));
        let mut about = format!("{} for {} ({})", r.what(), r.person, r.state);
        if let Some(n) = &r.note {
            about.push_str(&format!("\n{n}"));
        }
        line(format!("DESCRIPTION:{}", text(&about)));
        line(format!(
            "STATUS:{}",
            match r.state {
                ReservationState::Cancelled => "CANCELLED",
                _ => "CONFIRMED",
            }
        ));
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// `2026-12-08` as `20261208`.
fn compact(day: &str) -> String {
    day.replace('-', "")
}

/// Now in UTC as `20261205T143000Z`.
fn stamp() -> String {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_else(|_| "19700101T000000Z".into())
}

/// A TEXT value: backslash, semicolon and comma escaped, line breaks as `\n`, other
/// control characters dropped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Append a content line, folded at 75 octets (a CRLF and a space before each
/// continuation), never inside a character.
fn fold(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagstation_ops::reservations::NamedUnit;
    use uuid::Uuid;

    fn view(note: Option<&str>) -> ReservationView {
        ReservationView {
            id: Uuid::from_u128(7),
            item_id: Uuid::from_u128(1),
            item: "Camera".into(),
            units: vec![NamedUnit {
                id: Uuid::from_u128(2),
                name: "Camera, body; \\1".into(),
            }],
            count: 1,
            person_id: Uuid::from_u128(3),
            person: "Ana".into(),
            starts: "2026-12-30".into(),
            ends: "2026-12-31".into(),
            note: note.map(str::to_string),
            state: ReservationState::Open,
        }
    }

    #[test]
    fn events_are_all_day_escaped_and_folded() {
        let long = "x".repeat(200);
        let ics = calendar("Ana", "hub", &[view(Some(&format!("bring\nthe {long}")))]);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20261230\r\n"));
        assert!(ics.contains("DTEND;VALUE=DATE:20270101\r\n"), "{ics}");
        assert!(
            ics.contains("SUMMARY:Reserved: Camera\\, body\\; \\\\1\r\n"),
            "{ics}"
        );
        assert!(ics.contains("bring\\nthe"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{l:?}");
        }
        // Unfolded, the description is whole again.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&long));
    }

    #[test]
    fn cancelled_reservations_say_so() {
        let mut v = view(None);
        v.state = ReservationState::Cancelled;
        assert!(calendar("Ana", "hub", &[v]).contains("STATUS:CANCELLED\r\n"));
    }
}
