//! Labels drawn into a PDF: each module a filled rectangle (one per horizontal run),
//! text in the standard Helvetica fonts.

use pdf_writer::{Content, Finish, Name, Pdf, Rect as PdfRect, Ref, Str};

use crate::{plan, Label, Options};

const MM: f32 = 72.0 / 25.4;

pub(crate) fn render(labels: &[Label], opts: &Options) -> Vec<u8> {
    let layout = opts.layout;
    let (page_w, page_h) = layout.page_size();
    let first = if layout.is_roll() { 0 } else { opts.start };
    let pages = if labels.is_empty() {
        1
    } else {
        layout.cell(first + labels.len() - 1).page + 1
    };
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let page_ref = |i: usize| Ref::new(5 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(6 + 2 * i as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages).map(page_ref))
        .count(pages as i32);
    for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let mut contents: Vec<Content> = (0..pages).map(|_| Content::new()).collect();
    for (i, label) in labels.iter().enumerate() {
        let cell = layout.cell(first + i);
        let Ok(plan) = plan(label, layout) else {
            continue; // `prepare` checked every label
        };
        let c = &mut contents[cell.page];
        // PDF's y goes up from the page's bottom.
        let at = |x_mm: f32, y_mm: f32| ((cell.x + x_mm) * MM, (page_h - cell.y - y_mm) * MM);
        let sym = &label.symbol;
        let m = plan.module;
        let row_h = if sym.symbology.is_linear() {
            plan.bar_h
        } else {
            m
        };
        c.set_fill_gray(0.0);
        for (row, col, len) in sym.runs() {
            let (x, top) = at(plan.code_x + col as f32 * m, plan.code_y + row as f32 * m);
            c.rect(x, top - row_h * MM, len as f32 * m * MM, row_h * MM);
        }
        c.fill_nonzero();
        for line in &plan.lines {
            let (x, y) = at(line.x, line.baseline);
            let font = if line.bold { &b"F2"[..] } else { &b"F1"[..] };
            c.begin_text();
            c.set_font(Name(font), line.size_pt);
            c.next_line(x, y);
            c.show(Str(&line.bytes));
            c.end_text();
        }
    }
    for (i, content) in contents.into_iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.media_box(PdfRect::new(0.0, 0.0, page_w * MM, page_h * MM))
            .parent(tree)
            .contents(content_ref(i));
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(content_ref(i), &content.finish());
    }
    pdf.finish()
}
