//! 1D codes at any angle. First find where the frame is striped: per block of pixels, the
//! structure tensor of the gradient gives how strong the edges are, how much they agree on
//! one direction, and which direction that is; neighbouring striped blocks that agree form a
//! candidate. Then read scan lines across each candidate's stripes: the line is sampled every
//! half pixel, its edges are found to a fraction of a pixel (the peaks of the derivative,
//! with a threshold that follows the local contrast, so thin blurred bars still count), and
//! the bars and spaces between them go to rxing's 1D readers. A code counts only when two
//! lines read the same text: one noisy line reading a short code is the classic false read.
//!
//! Nothing here depends on the code being level: a code turned in the frame, tilted away
//! from the camera or wrapped round a bottle is read along its own direction.

use rxing::common::BitArray;
use rxing::oned::{MultiFormatOneDReader, OneDReader};
use rxing::{BarcodeFormat, DecodeHints, RXingResult};

/// Side of the blocks the frame is cut into to find stripes, in pixels.
const BLOCK: usize = 16;
/// Mean squared gradient a block needs to count as striped (grey levels squared).
const MIN_ENERGY: f32 = 120.0;
/// How much a block's edges must agree on one direction (0 = any, 1 = all parallel).
const MIN_COHERENCE: f32 = 0.5;
/// Blocks a candidate needs.
const MIN_BLOCKS: usize = 3;
/// Candidates read per frame, largest first: bounds the work on a busy frame.
const MAX_CANDIDATES: usize = 6;
/// Bits of the row handed to rxing per pixel along the line: edges are placed to 1/4 pixel.
const BITS_PER_PX: f32 = 4.0;

/// A striped region: where it is, which way its stripes run, and how big it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    /// centre, in pixels
    pub cx: f32,
    pub cy: f32,
    /// direction across the stripes (the gradient's), radians
    pub angle: f32,
    /// extent from the centre across the stripes (along the scan lines), min and max
    pub across: (f32, f32),
    /// extent from the centre along the stripes, min and max
    pub along: (f32, f32),
    pub blocks: usize,
}

impl Candidate {
    /// Does a code read from `from` to `to` overlap this patch, measured across its stripes?
    /// Lines run edge to edge of the frame, so a read may lie elsewhere on one.
    pub fn holds(&self, from: (f32, f32), to: (f32, f32)) -> bool {
        let (ux, uy) = (self.angle.cos(), self.angle.sin());
        let a = (from.0 - self.cx) * ux + (from.1 - self.cy) * uy;
        let b = (to.0 - self.cx) * ux + (to.1 - self.cy) * uy;
        let (lo, hi) = (a.min(b), a.max(b));
        // the read overlaps the patch across its stripes
        lo <= self.across.1 && hi >= self.across.0
    }
}

struct Block {
    /// doubled-angle unit vector of the gradient direction, weighted
    dx: f32,
    dy: f32,
    /// mean squared gradient
    energy: f32,
    striped: bool,
}

/// What a frame looks like at a glance, from its blocks: the striped regions where 1D codes
/// may be, and whether anything in it is busy in two directions at once, as the modules of
/// a QR or Data Matrix code are (the costly 2D searches are pointless without that).
pub(crate) struct Survey {
    /// striped regions, largest first
    pub striped: Vec<Candidate>,
    /// a patch of at least three neighbouring blocks with edges every way, well above the
    /// frame's own noise
    pub two_d: bool,
}

/// Mean squared gradient a block needs to count as busy in two directions, at the least.
const MIN_2D_ENERGY: f32 = 30.0;
/// ...and at the most (sensor noise of 10 grey levels gives about 400).
const MAX_2D_ENERGY: f32 = 1000.0;

/// Survey a frame (see [`Survey`]).
pub(crate) fn survey(width: usize, height: usize, luma: &[u8]) -> Survey {
    let (bw, bh) = (width / BLOCK, height / BLOCK);
    if bw == 0 || bh == 0 {
        return Survey {
            striped: Vec::new(),
            two_d: false,
        };
    }
    let mut sums = Vec::with_capacity(bw * bh);
    for by in 0..bh {
        for bx in 0..bw {
            sums.push(tensor(width, height, luma, bx * BLOCK, by * BLOCK));
        }
    }
    let blocks: Vec<Block> = sums.iter().map(Sums::block).collect();
    // the same at twice the block size: a code with modules as big as a block (held close)
    // has blocks that are flat or cross one border only, and is busy only at this scale
    let (cw, ch) = (bw / 2, bh / 2);
    let coarse: Vec<Block> = (0..cw * ch)
        .map(|k| {
            let (x, y) = (2 * (k % cw), 2 * (k / cw));
            let at = |dx: usize, dy: usize| &sums[(y + dy) * bw + x + dx];
            at(0, 0)
                .plus(at(1, 0))
                .plus(at(0, 1))
                .plus(at(1, 1))
                .block()
        })
        .collect();
    Survey {
        two_d: two_d(&blocks, bw, bh) || (cw > 0 && ch > 0 && two_d(&coarse, cw, ch)),
        striped: striped_regions(&blocks, bw, bh),
    }
}

/// Is there a patch of blocks busy every way? "Busy" is measured against the frame's noise
/// floor (its quietest quarter of blocks), so that sensor noise in a dim frame is not it.
fn two_d(blocks: &[Block], bw: usize, bh: usize) -> bool {
    let mut energies: Vec<f32> = blocks.iter().map(|b| b.energy).collect();
    let q = energies.len() / 4;
    let floor = *energies.select_nth_unstable_by(q, |a, b| a.total_cmp(b)).1;
    // four times the floor, but never above what a code's modules give: a code filling the
    // whole frame is its own floor
    let threshold = (floor * 4.0).clamp(MIN_2D_ENERGY, MAX_2D_ENERGY);
    let busy: Vec<bool> = blocks
        .iter()
        .map(|b| b.energy >= threshold && !b.striped)
        .collect();
    (0..blocks.len()).any(|k| {
        if !busy[k] {
            return false;
        }
        let (x, y) = ((k % bw) as i64, (k / bw) as i64);
        let neighbours = [
            (-1, 0),
            (1, 0),
            (0, -1),
            (0, 1),
            (-1, -1),
            (1, 1),
            (-1, 1),
            (1, -1),
        ]
        .iter()
        .filter(|(dx, dy)| {
            let (nx, ny) = (x + dx, y + dy);
            nx >= 0
                && ny >= 0
                && nx < bw as i64
                && ny < bh as i64
                && busy[ny as usize * bw + nx as usize]
        })
        .count();
        neighbours >= 2
    })
}

/// Striped regions, largest first: neighbouring striped blocks whose stripes run the same way.
fn striped_regions(blocks: &[Block], bw: usize, bh: usize) -> Vec<Candidate> {
    let mut seen = vec![false; blocks.len()];
    let mut out = Vec::new();
    for start in 0..blocks.len() {
        if seen[start] || !blocks[start].striped {
            continue;
        }
        // flood fill over neighbours whose stripes run the same way (within ~20 degrees)
        let mut members = vec![start];
        seen[start] = true;
        let mut i = 0;
        while i < members.len() {
            let k = members[i];
            i += 1;
            let (kx, ky) = ((k % bw) as i64, (k / bw) as i64);
            for (dx, dy) in [
                (-1, -1),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (kx + dx, ky + dy);
                if nx < 0 || ny < 0 || nx >= bw as i64 || ny >= bh as i64 {
                    continue;
                }
                let n = ny as usize * bw + nx as usize;
                if seen[n] || !blocks[n].striped || !same_way(&blocks[k], &blocks[n]) {
                    continue;
                }
                seen[n] = true;
                members.push(n);
            }
        }
        if members.len() >= MIN_BLOCKS {
            out.push(shape(&blocks, &members, bw));
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.blocks));
    out.truncate(MAX_CANDIDATES);
    out
}

fn same_way(a: &Block, b: &Block) -> bool {
    let (la, lb) = (a.dx.hypot(a.dy), b.dx.hypot(b.dy));
    // cos of the doubled angle between them > cos(40 degrees): within 20 degrees
    (a.dx * b.dx + a.dy * b.dy) > 0.766 * la * lb
}

/// The structure tensor of a block, as sums of gradient products over its pixels.
#[derive(Clone, Copy, Default)]
struct Sums {
    jxx: i64,
    jyy: i64,
    jxy: i64,
    n: i64,
}

impl Sums {
    fn plus(self, o: &Sums) -> Sums {
        Sums {
            jxx: self.jxx + o.jxx,
            jyy: self.jyy + o.jyy,
            jxy: self.jxy + o.jxy,
            n: self.n + o.n,
        }
    }

    /// Strength, coherence and direction of the block's edges.
    fn block(&self) -> Block {
        let (jxx, jyy, jxy) = (self.jxx as f32, self.jyy as f32, self.jxy as f32);
        let energy = (jxx + jyy) / self.n.max(1) as f32;
        let (dx, dy) = (jxx - jyy, 2.0 * jxy);
        let coherence = dx.hypot(dy) / (jxx + jyy).max(1.0);
        let weight = coherence * energy.sqrt();
        let len = dx.hypot(dy).max(1e-6);
        Block {
            dx: dx / len * weight,
            dy: dy / len * weight,
            energy,
            striped: energy >= MIN_ENERGY && coherence >= MIN_COHERENCE,
        }
    }
}

/// The structure tensor of one block (every pixel across, every other row).
fn tensor(width: usize, height: usize, luma: &[u8], x0: usize, y0: usize) -> Sums {
    let mut t = Sums::default();
    let x_end = (x0 + BLOCK).min(width - 1);
    let y_end = (y0 + BLOCK).min(height - 1);
    let mut y = y0.max(1);
    while y < y_end {
        let row = &luma[y * width..];
        let up = &luma[(y - 1) * width..];
        let down = &luma[(y + 1) * width..];
        for x in x0.max(1)..x_end {
            let gx = row[x + 1] as i64 - row[x - 1] as i64;
            let gy = down[x] as i64 - up[x] as i64;
            t.jxx += gx * gx;
            t.jyy += gy * gy;
            t.jxy += gx * gy;
            t.n += 1;
        }
        y += 2;
    }
    t
}

fn shape(blocks: &[Block], members: &[usize], bw: usize) -> Candidate {
    let (mut sx, mut sy) = (0.0, 0.0);
    let (mut cx, mut cy) = (0.0, 0.0);
    for &k in members {
        sx += blocks[k].dx;
        sy += blocks[k].dy;
        cx += ((k % bw) * BLOCK) as f32 + BLOCK as f32 / 2.0;
        cy += ((k / bw) * BLOCK) as f32 + BLOCK as f32 / 2.0;
    }
    let n = members.len() as f32;
    let (cx, cy) = (cx / n, cy / n);
    let angle = sy.atan2(sx) / 2.0;
    let (ux, uy) = (angle.cos(), angle.sin());
    let (mut a0, mut a1, mut b0, mut b1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &k in members {
        let px = ((k % bw) * BLOCK) as f32 + BLOCK as f32 / 2.0 - cx;
        let py = ((k / bw) * BLOCK) as f32 + BLOCK as f32 / 2.0 - cy;
        let a = px * ux + py * uy;
        let b = -px * uy + py * ux;
        a0 = a0.min(a);
        a1 = a1.max(a);
        b0 = b0.min(b);
        b1 = b1.max(b);
    }
    let half = BLOCK as f32 / 2.0;
    Candidate {
        cx,
        cy,
        angle,
        across: (a0 - half, a1 + half),
        along: (b0 - half, b1 + half),
        blocks: members.len(),
    }
}

/// A scan line: from `(x0, y0)` in direction `(ux, uy)` (unit), `len` pixels long, with the
/// stretch of it that crosses its patch (pixels from the start).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub x0: f32,
    pub y0: f32,
    pub ux: f32,
    pub uy: f32,
    pub len: f32,
    pub patch: (f32, f32),
}

impl Line {
    /// The line through `(cx, cy)` in direction `angle`, clipped to the frame; `patch` is
    /// the stretch to read around, from `(cx, cy)` along the line.
    fn through(
        cx: f32,
        cy: f32,
        angle: f32,
        patch: (f32, f32),
        w: usize,
        h: usize,
    ) -> Option<Line> {
        let (ux, uy) = (angle.cos(), angle.sin());
        let (mut lo, mut hi) = (f32::MIN, f32::MAX);
        // clip the parameter range so that every point stays inside [1, w-2] x [1, h-2]
        for (p, d, max) in [(cx, ux, w as f32 - 2.0), (cy, uy, h as f32 - 2.0)] {
            if d.abs() < 1e-6 {
                if p < 1.0 || p > max {
                    return None;
                }
                continue;
            }
            let (t0, t1) = ((1.0 - p) / d, (max - p) / d);
            lo = lo.max(t0.min(t1));
            hi = hi.min(t0.max(t1));
        }
        let len = hi - lo;
        let patch = ((patch.0 - lo).max(0.0), (patch.1 - lo).min(len));
        (len > 20.0 && patch.1 > patch.0).then_some(Line {
            x0: cx + lo * ux,
            y0: cy + lo * uy,
            ux,
            uy,
            len,
            patch,
        })
    }

    fn at(&self, t: f32) -> (f32, f32) {
        (self.x0 + t * self.ux, self.y0 + t * self.uy)
    }
}

/// Grey levels along a line, every half pixel (bilinear).
fn sample(width: usize, luma: &[u8], line: &Line, out: &mut Vec<f32>) {
    out.clear();
    let n = (line.len * 2.0) as usize;
    for i in 0..n {
        let (x, y) = line.at(i as f32 * 0.5);
        let (xi, yi) = (x as usize, y as usize);
        let (fx, fy) = (x - xi as f32, y - yi as f32);
        let p = yi * width + xi;
        let (a, b) = (luma[p] as f32, luma[p + 1] as f32);
        let (c, d) = (luma[p + width] as f32, luma[p + width + 1] as f32);
        let top = a + (b - a) * fx;
        let bottom = c + (d - c) * fx;
        out.push(top + (bottom - top) * fy);
    }
}

/// Edges of a profile sampled every half pixel: (position in samples, rising?), alternating.
fn edges(p: &[f32], out: &mut Vec<(f32, bool)>) {
    out.clear();
    let n = p.len();
    if n < 8 {
        return;
    }
    let mut d = Vec::with_capacity(n);
    d.push(0.0);
    d.extend(p.windows(3).map(|w| w[2] - w[0]));
    d.push(0.0);
    // the threshold follows the strongest edge nearby (a window of 24 pixels), so a faint
    // narrow bar next to strong wide ones still counts, and glare does not drown the rest
    let near = running_max(&d, WIN / 2);
    let mut last_strength = 0f32;
    for i in 1..n - 1 {
        let v = d[i];
        let a = v.abs();
        let threshold = (near[i] * 0.2).max(4.0);
        if a < threshold || a < d[i - 1].abs() || a <= d[i + 1].abs() {
            continue;
        }
        // sub-sample peak: parabola through the three magnitudes
        let (l, r) = (d[i - 1].abs(), d[i + 1].abs());
        let den = l - 2.0 * a + r;
        let off = if den.abs() > 1e-6 {
            0.5 * (l - r) / den
        } else {
            0.0
        };
        let pos = i as f32 + off.clamp(-0.5, 0.5);
        let rising = v > 0.0;
        match out.last_mut() {
            // two edges the same way: keep the stronger
            Some(last) if last.1 == rising => {
                if a > last_strength {
                    *last = (pos, rising);
                    last_strength = a;
                }
            }
            _ => {
                out.push((pos, rising));
                last_strength = a;
            }
        }
    }
}

/// Samples in the window the edge threshold looks at (24 pixels).
const WIN: usize = 48;

/// The largest `|v|` within `reach` of each index, in linear time (van Herk / Gil-Werman:
/// running maxima over blocks of `2 * reach + 1`, from the left and from the right; any
/// window spans at most two blocks).
fn running_max(v: &[f32], reach: usize) -> Vec<f32> {
    let n = v.len();
    let b = 2 * reach + 1;
    let mut left = vec![0f32; n];
    let mut right = vec![0f32; n];
    for i in 0..n {
        let a = v[i].abs();
        left[i] = if i % b == 0 { a } else { left[i - 1].max(a) };
    }
    for i in (0..n).rev() {
        let a = v[i].abs();
        right[i] = if i % b == b - 1 || i == n - 1 {
            a
        } else {
            right[i + 1].max(a)
        };
    }
    (0..n)
        .map(|i| right[i.saturating_sub(reach)].max(left[(i + reach).min(n - 1)]))
        .collect()
}

/// The bars and spaces between a profile's edges as a row of bits (set = bar), at
/// `BITS_PER_PX` bits a pixel, covering samples `span.0..span.1`; before the first edge and
/// after the last, what those edges say is there.
fn bits(span: (f32, f32), edges: &[(f32, bool)]) -> BitArray {
    let per_sample = BITS_PER_PX / 2.0;
    let total = ((span.1 - span.0).max(0.0) * per_sample) as usize + 1;
    let mut row = BitArray::with_size(total);
    let mut from = 0usize;
    let mut dark = edges.first().is_some_and(|e| e.1); // first edge rising: dark before it
    for &(pos, rising) in edges {
        let to = (((pos - span.0).max(0.0) * per_sample).round() as usize).min(total);
        if dark {
            set_range(&mut row, from, to);
        }
        from = to;
        dark = !rising;
    }
    if dark {
        set_range(&mut row, from, total);
    }
    row
}

/// Set bits `from..to` (rxing's own `setRange` overflows on a range ending at a word's last
/// bit in a debug build).
fn set_range(row: &mut BitArray, from: usize, to: usize) {
    for i in from..to.min(row.get_size()) {
        row.set(i);
    }
}

/// What one scan line read, with the line's ends in frame pixels.
pub(crate) struct LineRead {
    pub result: RXingResult,
    pub from: (f32, f32),
    pub to: (f32, f32),
}

/// Working buffers reused across lines.
#[derive(Default)]
pub(crate) struct Scratch {
    profile: Vec<f32>,
    edges: Vec<(f32, bool)>,
}

/// Read one scan line with rxing's 1D readers, forward then backward: the bars around the
/// line's patch, out to the first space much wider than the patch's bars and spaces (beyond
/// any quiet zone) on either side. If they read nothing, they are tried again with ink spread
/// undone ([`spread_undone`]); then each dense stretch of bars among them is tried alone
/// with white all round: a label cut close to its code, or a dark edge
/// next to it, leaves a quiet zone shorter than the readers ask for, and the stretch between
/// two long spaces is where a code would be.
pub(crate) fn read_line(
    width: usize,
    luma: &[u8],
    line: &Line,
    reader: &mut MultiFormatOneDReader,
    hints: &DecodeHints,
    scratch: &mut Scratch,
) -> Option<LineRead> {
    sample(width, luma, line, &mut scratch.profile);
    edges(&scratch.profile, &mut scratch.edges);
    let (lo, hi, span) = around(&scratch.edges, line.patch, scratch.profile.len())?;
    let edges = &scratch.edges[lo..=hi];
    if edges.len() < MIN_EDGES {
        return None;
    }
    if let Some(r) = decode_bits(bits(span, edges), span.0, line, reader, hints) {
        return Some(r);
    }
    if let Some(even) = spread_undone(edges) {
        if let Some(r) = decode_bits(bits(span, &even), span.0, line, reader, hints) {
            return Some(r);
        }
    }
    for (from, to) in stretches(edges) {
        let stretch = &edges[from..=to];
        let Some(r) = decode_bits(bits(span, stretch), span.0, line, reader, hints) else {
            continue;
        };
        if r.result.getBarcodeFormat() == &BarcodeFormat::UPC_E && !fills(&r, stretch) {
            continue;
        }
        return Some(r);
    }
    None
}

/// The edges around a line's patch (first and last index) and the samples to read: the
/// edges within the patch, then outwards while the next space or bar is under
/// `QUIET_TYPICALS` times the patch's median, plus that much white either side.
fn around(
    edges: &[(f32, bool)],
    patch: (f32, f32),
    samples: usize,
) -> Option<(usize, usize, (f32, f32))> {
    let (p0, p1) = (patch.0 * 2.0, patch.1 * 2.0); // pixels to samples
    let lo = edges.iter().position(|e| e.0 >= p0)?;
    let hi = edges.iter().rposition(|e| e.0 <= p1)?;
    if hi < lo + 2 {
        return None;
    }
    let typical = median_width(&edges[lo..=hi])?;
    let gap = (typical * QUIET_TYPICALS).max(MIN_QUIET_SAMPLES);
    let (mut lo, mut hi) = (lo, hi);
    while lo > 0 && edges[lo].0 - edges[lo - 1].0 <= gap {
        lo -= 1;
    }
    while hi + 1 < edges.len() && edges[hi + 1].0 - edges[hi].0 <= gap {
        hi += 1;
    }
    let span = (
        (edges[lo].0 - gap).max(0.0),
        (edges[hi].0 + gap).min(samples as f32),
    );
    Some((lo, hi, span))
}

/// The median width of the bars and spaces between `edges` (in samples); none for fewer
/// than two edges.
fn median_width(edges: &[(f32, bool)]) -> Option<f32> {
    let mut widths: Vec<f32> = edges.windows(2).map(|w| w[1].0 - w[0].0).collect();
    if widths.is_empty() {
        return None;
    }
    let mid = widths.len() / 2;
    Some(*widths.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1)
}

/// A space this many times the patch's median bar or space ends the bars read with it: wider
/// than any quiet zone a code asks for (10 modules), as bars and spaces are 1 to 4 modules.
const QUIET_TYPICALS: f32 = 12.0;
/// ...and at least this many samples (8 pixels).
const MIN_QUIET_SAMPLES: f32 = 16.0;

/// Does a read span most of the stretch of bars it came from? UPC-E, six digits in 51
/// modules with a check digit only, is the code a part of a longer one most easily passes
/// for; read from a stretch it must fill it. (Other codes often sit in a stretch with
/// clutter beside them and are strong enough not to need this.)
fn fills(r: &LineRead, stretch: &[(f32, bool)]) -> bool {
    let (Some(first), Some(last)) = (stretch.first(), stretch.last()) else {
        return false;
    };
    let long = (last.0 - first.0) / 2.0; // samples are half pixels
    let read = ((r.to.0 - r.from.0).powi(2) + (r.to.1 - r.from.1).powi(2)).sqrt();
    // its end points are the centres of its guard patterns, a little inside its bars
    read >= 0.8 * long
}

/// The edges with ink spread undone, if there is enough to matter. Ink that spreads (or a
/// camera that blooms white) moves every edge of a bar outwards (or inwards) by the same
/// amount, so the narrowest bars and the narrowest spaces, which are one module each, come
/// out different widths; the readers match widths against a tolerance, and a fat or thin
/// bar of a small code breaks it. Each bar is widened (or narrowed) by half the difference.
fn spread_undone(edges: &[(f32, bool)]) -> Option<Vec<(f32, bool)>> {
    let (mut bars, mut spaces) = (Vec::new(), Vec::new());
    for w in edges.windows(2) {
        let width = w[1].0 - w[0].0;
        // a bar runs from a falling edge (into dark) to a rising one
        if !w[0].1 {
            bars.push(width);
        } else {
            spaces.push(width);
        }
    }
    let narrow = |v: &mut Vec<f32>| -> Option<f32> {
        if v.len() < 4 {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let k = (v.len() / 4).max(1);
        Some(v[..k].iter().sum::<f32>() / k as f32)
    };
    let half = (narrow(&mut spaces)? - narrow(&mut bars)?) / 2.0;
    if half.abs() < MIN_SPREAD_SAMPLES {
        return None;
    }
    Some(
        edges
            .iter()
            .map(|&(pos, rising)| {
                if rising {
                    (pos + half / 2.0, rising)
                } else {
                    (pos - half / 2.0, rising)
                }
            })
            .collect(),
    )
}

/// Ink spread below this (in samples: a quarter pixel) is left alone.
const MIN_SPREAD_SAMPLES: f32 = 0.5;

/// No 1D code has fewer than ten bars: twenty edges.
const MIN_EDGES: usize = 20;

/// Stretches of a line's edges (first and last index) that could be a code on their own:
/// bounded by spaces over five times the typical bar or space, at least `MIN_EDGES` long,
/// at most two, the longest first. The whole line as one stretch is left out.
fn stretches(edges: &[(f32, bool)]) -> Vec<(usize, usize)> {
    let Some(typical) = median_width(edges) else {
        return Vec::new();
    };
    let gap = typical * 5.0;
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for i in 0..edges.len() {
        // a stretch starts at a falling edge (into a bar) and ends at a rising one
        let falling = !edges[i].1;
        let long_space_before = i == 0 || (falling && edges[i].0 - edges[i - 1].0 > gap);
        if falling && long_space_before {
            start = Some(i);
        }
        let rising = edges[i].1;
        let long_space_after =
            i + 1 == edges.len() || (rising && edges[i + 1].0 - edges[i].0 > gap);
        if let (true, true, Some(s)) = (rising, long_space_after, start) {
            if i + 1 - s >= MIN_EDGES && !(s == 0 && i + 1 == edges.len()) {
                out.push((s, i));
            }
            start = None;
        }
    }
    out.sort_by_key(|(s, e)| std::cmp::Reverse(e - s));
    out.truncate(2);
    out
}

/// Decode a row of bits that starts `offset` samples along `line`.
fn decode_bits(
    mut row: BitArray,
    offset: f32,
    line: &Line,
    reader: &mut MultiFormatOneDReader,
    hints: &DecodeHints,
) -> Option<LineRead> {
    let size = row.get_size() as f32;
    for backward in [false, true] {
        if backward {
            row.reverse();
        }
        if let Ok(r) = reader.decode_row(0, &row, hints) {
            if !accounts_for_its_bars(&row, &r) {
                continue;
            }
            let pts = r.getPoints();
            let along = |x: f32| {
                let t = if backward { size - 1.0 - x } else { x } / BITS_PER_PX;
                line.at(offset / 2.0 + t)
            };
            let (from, to) = match (pts.first(), pts.last()) {
                (Some(a), Some(b)) => (along(a.x), along(b.x)),
                _ => (line.at(0.0), line.at(line.len)),
            };
            return Some(LineRead {
                result: r,
                from,
                to,
            });
        }
    }
    None
}

/// Does an EAN or UPC read hold as many bars as its symbology has, and no more? Their
/// readers find the middle and end guards by searching onwards, so an EAN-8 can be read
/// from the first four and the last four digits of a UPC-A (its guards look the same),
/// passing the check digit one time in ten. Between the centres of its outer guards an
/// EAN-8 has 40 bar edges, an EAN-13 or UPC-A 56, a UPC-E 31; a few more are blur.
fn accounts_for_its_bars(row: &BitArray, r: &RXingResult) -> bool {
    let most = match r.getBarcodeFormat() {
        BarcodeFormat::EAN_8 => 40,
        BarcodeFormat::EAN_13 | BarcodeFormat::UPC_A => 56,
        BarcodeFormat::UPC_E => 31,
        _ => return true,
    };
    edges_between(row, r) <= most + 4
}

/// Bar edges in `row` between the two end points of a read.
fn edges_between(row: &BitArray, r: &RXingResult) -> usize {
    let pts = r.getPoints();
    let (Some(a), Some(b)) = (pts.first(), pts.last()) else {
        return 0;
    };
    let (lo, hi) = (a.x.min(b.x).max(0.0) as usize, a.x.max(b.x) as usize);
    let hi = hi.min(row.get_size().saturating_sub(1));
    (lo..hi).filter(|&i| row.get(i) != row.get(i + 1)).count()
}

/// Scan lines across a candidate: `count` of them spread along its stripes, turned by `turn`
/// radians. Each runs from edge to edge of the frame (a patch may be only part of its code:
/// big modules leave the blocks inside wide bars flat, which splits the patch, and the quiet
/// zones lie beyond it anyway); [`read_line`] reads the bars around the patch.
pub(crate) fn lines_across(
    c: &Candidate,
    count: usize,
    turn: f32,
    width: usize,
    height: usize,
) -> Vec<Line> {
    let (b0, b1) = (
        c.along.0 + BLOCK as f32 / 4.0,
        c.along.1 - BLOCK as f32 / 4.0,
    );
    let (vx, vy) = (-c.angle.sin(), c.angle.cos());
    // from the middle outwards (of two at the same distance, the later first): the middle
    // lines cross the whole code most often, and two lines that agree end the search
    let mid = count.saturating_sub(1) / 2;
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&i| (i.abs_diff(mid), i < mid));
    order
        .into_iter()
        .filter_map(|i| {
            let f = if count == 1 {
                0.5
            } else {
                i as f32 / (count - 1) as f32
            };
            let b = b0 + (b1 - b0).max(0.0) * f;
            Line::through(
                c.cx + b * vx,
                c.cy + b * vy,
                c.angle + turn,
                c.across,
                width,
                height,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame with vertical bars of the given widths (pixels), starting at x = 100.
    fn bars(widths: &[usize]) -> (usize, usize, Vec<u8>) {
        let (w, h) = (400, 120);
        let mut px = vec![220u8; w * h];
        let mut x = 100;
        for (i, &bw) in widths.iter().enumerate() {
            if i % 2 == 0 {
                for y in 20..100 {
                    for xx in x..x + bw {
                        px[y * w + xx] = 30;
                    }
                }
            }
            x += bw;
        }
        (w, h, px)
    }

    #[test]
    fn a_striped_region_is_found_with_its_direction() {
        let widths: Vec<usize> = (0..40).map(|i| 2 + (i * 7 % 5)).collect();
        let (w, h, px) = bars(&widths);
        let found = survey(w, h, &px).striped;
        assert!(!found.is_empty(), "no candidate");
        let c = &found[0];
        // stripes are vertical: the direction across them is horizontal
        assert!(c.angle.sin().abs() < 0.1, "angle {}", c.angle);
        assert!(c.cx > 100.0 && c.cx < 260.0, "centre {}", c.cx);
    }

    #[test]
    fn a_flat_frame_has_no_candidate() {
        let (w, h) = (320, 240);
        let px: Vec<u8> = (0..w * h).map(|i| (100 + (i % w) / 8) as u8).collect();
        let s = survey(w, h, &px);
        assert!(s.striped.is_empty() && !s.two_d);
    }

    #[test]
    fn edges_alternate_and_sit_on_the_bar_borders() {
        let (w, _, px) = bars(&[4, 6, 3]);
        let line = Line {
            x0: 50.0,
            y0: 60.0,
            ux: 1.0,
            uy: 0.0,
            len: 300.0,
            patch: (0.0, 300.0),
        };
        let mut p = Vec::new();
        sample(w, &px, &line, &mut p);
        let mut e = Vec::new();
        edges(&p, &mut e);
        let at: Vec<f32> = e.iter().map(|(pos, _)| 50.0 + pos / 2.0).collect();
        // bar 100..104, space 104..110, bar 110..113: edges between pixels 99/100 etc.
        let want = [99.5, 103.5, 109.5, 112.5];
        assert_eq!(at.len(), want.len(), "{at:?}");
        for (a, w) in at.iter().zip(want) {
            assert!((a - w).abs() < 0.3, "{at:?}");
        }
        assert_eq!(
            e.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            [false, true, false, true]
        );
    }

    /// A frame of `m`-pixel modules in a seeded random pattern, edge to edge.
    fn modules(w: usize, h: usize, m: usize) -> Vec<u8> {
        let mut seed = 7u64;
        let cells: Vec<bool> = (0..(w / m + 1) * (h / m + 1))
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                (seed >> 40) & 1 == 1
            })
            .collect();
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if cells[(y / m) * (w / m + 1) + x / m] {
                    30
                } else {
                    220
                }
            })
            .collect()
    }

    #[test]
    fn a_code_held_close_is_busy() {
        // modules of 40 pixels: a 16-pixel block is flat, crosses one border or holds one
        // corner, and the corners are too far apart to be neighbours; 32-pixel blocks see it
        let (w, h) = (320, 240);
        assert!(survey(w, h, &modules(w, h, 40)).two_d);
    }

    #[test]
    fn a_code_filling_the_frame_is_busy() {
        // every block is busy, so the frame's quietest blocks are the code itself
        let (w, h) = (320, 240);
        assert!(survey(w, h, &modules(w, h, 3)).two_d);
    }

    #[test]
    fn a_line_reads_the_bars_around_its_patch_out_to_a_wide_space() {
        // edges every 4 samples from 100 to 300, a space of 200 samples, more from 500 on
        let mut e: Vec<(f32, bool)> = (0..50)
            .map(|k| (100.0 + 4.0 * k as f32, k % 2 == 1))
            .collect();
        e.extend((0..20).map(|k| (500.0 + 4.0 * k as f32, k % 2 == 1)));
        // the patch covers only the middle of the first group (pixels 80-120)
        let (lo, hi, span) = around(&e, (80.0, 120.0), 1000).unwrap();
        assert_eq!((lo, hi), (0, 49));
        // 12 times the median of 4 samples either side
        assert_eq!(span, (52.0, 344.0));
        // a patch with no edges in it reads nothing
        assert!(around(&e, (360.0, 380.0), 1000).is_none());
    }

    #[test]
    fn ink_spread_is_undone_so_one_module_bars_and_spaces_match() {
        // bars of 1 and 2 modules of 8 samples printed 3 samples thin, spaces 3 fat
        let widths = [1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 1];
        let mut e = Vec::new();
        let mut pos = 10.0;
        for (k, w) in widths.iter().enumerate() {
            let bar = k % 2 == 0;
            e.push((pos, !bar)); // a bar starts at a falling edge
            pos += *w as f32 * 8.0 + if bar { -3.0 } else { 3.0 };
        }
        e.push((pos, true));
        let even = spread_undone(&e).expect("spread this large is undone");
        let run = |v: &[(f32, bool)], i: usize| v[i + 1].0 - v[i].0;
        assert!((run(&even, 0) - 8.0).abs() < 0.01, "{even:?}"); // a one-module bar
        assert!((run(&even, 1) - 8.0).abs() < 0.01, "{even:?}"); // a one-module space

        // a clean print is left alone
        let clean: Vec<(f32, bool)> = (0..13).map(|k| (k as f32 * 8.0, k % 2 == 1)).collect();
        assert!(spread_undone(&clean).is_none());
    }
}
