//! Labels as ZPL II: the printer draws the code with its own encoder at a whole number
//! of dots a module (the module size [`crate::plan`] chose), and the text in its
//! scalable font 0.

use std::fmt::Write;

use crate::{plan, Label, LabelError, Layout, Symbology};

pub(crate) fn render(
    out: &mut String,
    label: &Label,
    layout: &Layout,
    dpi: u32,
) -> Result<(), LabelError> {
    let plan = plan(label, layout)?;
    let dots = |mm: f32| (mm * dpi as f32 / 25.4).round() as i64;
    let m = dots(plan.module).max(1);
    let (x, y) = (dots(plan.code_x), dots(plan.code_y));
    // ^CI28: field data is UTF-8; ^FH: `_XX` hex escapes in the next field.
    let _ = write!(
        out,
        "^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0\n",
        dots(layout.label_w),
        dots(layout.label_h)
    );
    let data = escape(&label.payload);
    let _ = match label.symbol.symbology {
        // Model 2, error correction M, automatic mode.
        Symbology::Qr => writeln!(out, "^FO{x},{y}^BQN,2,{m}^FH^FDMA,{data}^FS"),
        Symbology::DataMatrix => writeln!(out, "^FO{x},{y}^BXN,{m},200^FH^FD{data}^FS"),
        Symbology::Code128 => writeln!(
            out,
            "^FO{x},{y}^BY{m}^BCN,{},N,N,N,A^FH^FD{data}^FS",
            dots(plan.bar_h)
        ),
    };
    for line in &plan.lines {
        let h = dots(line.size_pt * 25.4 / 72.0).max(8);
        // ^FO is the text's top; the plan has its baseline.
        let top = dots(line.baseline) - h * 4 / 5;
        let font_w = if line.bold { h } else { h * 9 / 10 };
        let _ = writeln!(
            out,
            "^FO{},{}^A0N,{h},{font_w}^FH^FD{}^FS",
            dots(line.x),
            top.max(0),
            escape(&line.text)
        );
    }
    out.push_str("^XZ\n");
    Ok(())
}

/// Field data with ZPL's command and escape characters (`^`, `~`, `_`) and controls as
/// `_XX` hex (for ^FH).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '^' | '~' | '_') || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "_{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_characters_are_escaped() {
        assert_eq!(super::escape("TS^1~2_3"), "TS_5E1_7E2_5F3");
        assert_eq!(super::escape("Bohrer-ü"), "Bohrer-ü");
    }
}
