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
use rxing::{DecodeHints, RXingResult};

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

/// Survey a frame (see [`Survey`]).
pub(crate) fn survey(width: usize, height: usize, luma: &[u8]) -> Survey {
    let (bw, bh) = (width / BLOCK, height / BLOCK);
    if bw == 0 || bh == 0 {
        return Survey {
            striped: Vec::new(),
            two_d: false,
        };
    }
    let mut blocks = Vec::with_capacity(bw * bh);
    for by in 0..bh {
        for bx in 0..bw {
            blocks.push(tensor(width, height, luma, bx * BLOCK, by * BLOCK));
        }
    }
    Survey {
        two_d: two_d(&blocks, bw, bh),
        striped: striped_regions(&blocks, bw, bh),
    }
}

/// Is there a patch of blocks busy every way? "Busy" is measured against the frame's noise
/// floor (its quietest quarter of blocks), so that sensor noise in a dim frame is not it.
fn two_d(blocks: &[Block], bw: usize, bh: usize) -> bool {
    let mut energies: Vec<f32> = blocks.iter().map(|b| b.energy).collect();
    let q = energies.len() / 4;
    let floor = *energies.select_nth_unstable_by(q, |a, b| a.total_cmp(b)).1;
    let threshold = (floor * 4.0).max(MIN_2D_ENERGY);
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

/// The structure tensor of one block (every pixel across, every other row).
fn tensor(width: usize, height: usize, luma: &[u8], x0: usize, y0: usize) -> Block {
    let (mut jxx, mut jyy, mut jxy, mut n) = (0i64, 0i64, 0i64, 0i64);
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
            jxx += gx * gx;
            jyy += gy * gy;
            jxy += gx * gy;
            n += 1;
        }
        y += 2;
    }
    let (jxx, jyy, jxy) = (jxx as f32, jyy as f32, jxy as f32);
    let energy = (jxx + jyy) / n.max(1) as f32;
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

/// A scan line: from `(x0, y0)` in direction `(ux, uy)` (unit), `len` pixels long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub x0: f32,
    pub y0: f32,
    pub ux: f32,
    pub uy: f32,
    pub len: f32,
}

impl Line {
    /// The line through `(cx, cy)` in direction `angle`, from `a0` to `a1` along it,
    /// clipped to the frame.
    fn through(cx: f32, cy: f32, angle: f32, a0: f32, a1: f32, w: usize, h: usize) -> Option<Line> {
        let (ux, uy) = (angle.cos(), angle.sin());
        let (mut lo, mut hi) = (a0, a1);
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
        (hi - lo > 20.0).then_some(Line {
            x0: cx + lo * ux,
            y0: cy + lo * uy,
            ux,
            uy,
            len: hi - lo,
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
    let d: Vec<f32> = (0..n)
        .map(|i| {
            if i == 0 || i + 1 >= n {
                0.0
            } else {
                p[i + 1] - p[i - 1]
            }
        })
        .collect();
    // the threshold follows the strongest edge nearby (a window of 24 pixels), so a faint
    // narrow bar next to strong wide ones still counts, and glare does not drown the rest
    const WIN: usize = 48;
    let mut local_max = vec![0f32; n];
    {
        // running maximum of |d| over [i - WIN/2, i + WIN/2], by blocks (van Herk)
        let abs: Vec<f32> = d.iter().map(|v| v.abs()).collect();
        let mut left = vec![0f32; n];
        let mut right = vec![0f32; n];
        let b = WIN + 1;
        for i in 0..n {
            left[i] = if i % b == 0 {
                abs[i]
            } else {
                left[i - 1].max(abs[i])
            };
        }
        for i in (0..n).rev() {
            right[i] = if i % b == b - 1 || i == n - 1 {
                abs[i]
            } else {
                right[i + 1].max(abs[i])
            };
        }
        for (i, m) in local_max.iter_mut().enumerate() {
            let lo = i.saturating_sub(WIN / 2);
            let hi = (i + WIN / 2).min(n - 1);
            // [lo, hi] spans at most two blocks of size b
            *m = right[lo].max(left[hi]);
        }
    }
    for i in 1..n - 1 {
        let v = d[i];
        let a = v.abs();
        let threshold = (local_max[i] * 0.2).max(4.0);
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
            Some(last) if last.1 == rising => {
                // two edges the same way: keep the stronger (by re-reading its strength)
                let li = last.0.round() as usize;
                if a > d[li.min(n - 1)].abs() {
                    *last = (pos, rising);
                }
            }
            _ => out.push((pos, rising)),
        }
    }
}

/// The bars and spaces between a profile's edges as a row of bits (set = bar), at
/// `BITS_PER_PX` bits a pixel; before the first edge and after the last, what those edges
/// say is there.
fn bits(samples: usize, edges: &[(f32, bool)]) -> BitArray {
    let per_sample = BITS_PER_PX / 2.0;
    let total = (samples as f32 * per_sample) as usize + 1;
    let mut row = BitArray::with_size(total);
    let mut from = 0usize;
    let mut dark = edges.first().is_some_and(|e| e.1); // first edge rising: dark before it
    for &(pos, rising) in edges {
        let to = ((pos * per_sample).round() as usize).min(total);
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

/// Read one scan line with rxing's 1D readers, forward then backward. If the whole line
/// reads nothing, each dense stretch of bars on it is tried alone with white all round: a
/// label cut close to its code, or a dark edge next to it, leaves a quiet zone shorter than
/// the readers ask for, and the stretch between two long spaces is where a code would be.
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
    if scratch.edges.len() < MIN_EDGES {
        return None;
    }
    let samples = scratch.profile.len();
    if let Some(r) = decode_bits(bits(samples, &scratch.edges), line, reader, hints) {
        return Some(r);
    }
    for (from, to) in stretches(&scratch.edges) {
        let r = decode_bits(
            bits(samples, &scratch.edges[from..=to]),
            line,
            reader,
            hints,
        );
        if r.is_some() {
            return r;
        }
    }
    None
}

/// No 1D code has fewer than ten bars: twenty edges.
const MIN_EDGES: usize = 20;

/// Stretches of a line's edges (first and last index) that could be a code on their own:
/// bounded by spaces over five times the typical bar or space, at least `MIN_EDGES` long,
/// at most two, the longest first. The whole line as one stretch is left out.
fn stretches(edges: &[(f32, bool)]) -> Vec<(usize, usize)> {
    let mut widths: Vec<f32> = edges.windows(2).map(|w| w[1].0 - w[0].0).collect();
    if widths.is_empty() {
        return Vec::new();
    }
    let mid = widths.len() / 2;
    let typical = *widths.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
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

fn decode_bits(
    mut row: BitArray,
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
            let pts = r.getPoints();
            let along = |x: f32| {
                let t = if backward { size - 1.0 - x } else { x } / BITS_PER_PX;
                line.at(t)
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

/// Scan lines across a candidate: `count` of them spread along its stripes, each running
/// from edge to edge of the frame, turned by `turn` radians.
pub(crate) fn lines_across(
    c: &Candidate,
    count: usize,
    turn: f32,
    width: usize,
    height: usize,
) -> Vec<Line> {
    // the lines run from edge to edge of the frame: a patch may be only part of its code
    // (big modules leave blocks inside wide bars flat, which splits the patch), and the
    // quiet zones lie beyond it anyway
    let reach = (width + height) as f32;
    let (b0, b1) = (
        c.along.0 + BLOCK as f32 / 4.0,
        c.along.1 - BLOCK as f32 / 4.0,
    );
    let (vx, vy) = (-c.angle.sin(), c.angle.cos());
    (0..count)
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
                -reach,
                reach,
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
}
