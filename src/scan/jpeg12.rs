//! 12-bit DCT JPEG (ITU-T T.81 extended sequential, Huffman, process 4),
//! one component: what CR and DX writers put in DICOM's JPEG Extended
//! transfer syntax (1.2.840.10008.1.2.4.51).
//!
//! Hand-rolled because no pure-Rust decoder reads it: jpeg-decoder and
//! zune-jpeg stop at 8-bit DCT, and libjpeg-turbo would tie every board
//! build to a C toolchain. It is the small part of T.81 that such files use
//! (quantisation and Huffman tables, one frame of one component, one
//! sequential scan, restart markers), decoded into buffers sized by the
//! frame header, which the caller has checked against the DICOM header.

use super::codestream::{jpeg_segments, Segment};
use super::ScanProblem;

fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "JPEG",
        detail: detail.to_string(),
    }
}

/// Zigzag position -> natural (row-major) position in an 8x8 block.
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// A Huffman table in the canonical form of T.81 annex C and F.2.2.3.
#[derive(Clone)]
struct Huffman {
    max_code: [i32; 17],
    min_code: [i32; 17],
    first_value: [usize; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8], values: &[u8]) -> Huffman {
        let (mut max_code, mut min_code, mut first_value) = ([-1; 17], [0; 17], [0; 17]);
        let (mut code, mut k) = (0i32, 0usize);
        for length in 1..=16 {
            let n = usize::from(counts[length - 1]);
            first_value[length] = k;
            min_code[length] = code;
            code += n as i32;
            k += n;
            if n > 0 {
                max_code[length] = code - 1;
            }
            code <<= 1;
        }
        Huffman {
            max_code,
            min_code,
            first_value,
            values: values.to_vec(),
        }
    }

    fn decode(&self, bits: &mut Bits) -> Result<u8, ScanProblem> {
        let mut code = 0i32;
        for length in 1..=16 {
            code = (code << 1) | bits.bit() as i32;
            if code <= self.max_code[length] {
                let i = self.first_value[length] + (code - self.min_code[length]) as usize;
                return self
                    .values
                    .get(i)
                    .copied()
                    .ok_or_else(|| corrupt("Huffman code past its table"));
            }
        }
        Err(corrupt("no Huffman code matches the data"))
    }
}

/// The entropy-coded bits, with 0xFF00 unstuffed; at a marker (or the end)
/// it gives zeros and remembers that it ran out.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    buffer: u32,
    count: u32,
    ran_out: bool,
}

impl Bits<'_> {
    fn bit(&mut self) -> u32 {
        if self.count == 0 {
            self.buffer = u32::from(self.next_byte());
            self.count = 8;
        }
        self.count -= 1;
        (self.buffer >> self.count) & 1
    }

    /// The next data byte; at a marker or the end, 0 and `ran_out`.
    fn next_byte(&mut self) -> u8 {
        match self.data.get(self.at) {
            Some(&0xFF) if self.data.get(self.at + 1) == Some(&0x00) => {
                self.at += 2;
                0xFF
            }
            Some(&0xFF) | None => {
                self.ran_out = true;
                0
            }
            Some(&b) => {
                self.at += 1;
                b
            }
        }
    }

    fn bits(&mut self, n: u8) -> u32 {
        (0..n).fold(0, |v, _| (v << 1) | self.bit())
    }

    /// A magnitude category's value with its sign (T.81 F.2.2.1, EXTEND).
    fn signed(&mut self, size: u8) -> i32 {
        if size == 0 {
            return 0;
        }
        let v = self.bits(size) as i32;
        if v < 1 << (size - 1) {
            v - (1 << size) + 1
        } else {
            v
        }
    }

    /// At a restart interval's end: drop the partial byte and step over
    /// the RSTn marker.
    fn restart(&mut self) -> Result<(), ScanProblem> {
        self.count = 0;
        while self.data.get(self.at) == Some(&0xFF) && self.data.get(self.at + 1) == Some(&0xFF) {
            self.at += 1;
        }
        match self.data.get(self.at..self.at + 2) {
            Some([0xFF, m]) if (0xD0..=0xD7).contains(m) => {
                self.at += 2;
                Ok(())
            }
            _ => Err(corrupt("a restart marker is missing")),
        }
    }
}

/// What the frame and scan headers say.
struct Header {
    precision: u8,
    width: usize,
    height: usize,
    quant: [u16; 64],
    dc: Huffman,
    ac: Huffman,
    restart_interval: usize,
    entropy_at: usize,
}

fn read_header(stream: &[u8]) -> Result<Header, ScanProblem> {
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut tables: [[Option<Huffman>; 4]; 2] = Default::default();
    let (mut frame, mut restart_interval) = (None, 0);
    let mut scan = None;
    for Segment {
        marker,
        payload,
        end,
    } in jpeg_segments(stream)
    {
        match marker {
            0xDB => {
                let mut p = payload;
                while let Some((&pq_tq, rest)) = p.split_first() {
                    let (wide, id) = (pq_tq >> 4 == 1, usize::from(pq_tq & 0xF));
                    let size = if wide { 128 } else { 64 };
                    let values = rest.get(..size).ok_or_else(|| corrupt("short DQT"))?;
                    let mut table = [0u16; 64];
                    for (i, v) in table.iter_mut().enumerate() {
                        *v = if wide {
                            u16::from_be_bytes([values[2 * i], values[2 * i + 1]])
                        } else {
                            u16::from(values[i])
                        };
                    }
                    *quant.get_mut(id).ok_or_else(|| corrupt("DQT id"))? = Some(table);
                    p = &rest[size..];
                }
            }
            0xC4 => {
                let mut p = payload;
                while p.len() >= 17 {
                    let (class, id) = (usize::from(p[0] >> 4), usize::from(p[0] & 0xF));
                    let counts = &p[1..17];
                    let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let values = p.get(17..17 + n).ok_or_else(|| corrupt("short DHT"))?;
                    let slot = tables
                        .get_mut(class)
                        .and_then(|t| t.get_mut(id))
                        .ok_or_else(|| corrupt("DHT class or id"))?;
                    *slot = Some(Huffman::new(counts, values));
                    p = &p[17 + n..];
                }
            }
            0xDD => {
                let r = payload.get(..2).ok_or_else(|| corrupt("short DRI"))?;
                restart_interval = usize::from(u16::from_be_bytes([r[0], r[1]]));
            }
            0xC0 | 0xC1 => frame = Some(payload.to_vec()),
            0xDA => scan = Some((payload, end)),
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(ScanProblem::Unsupported(
                    "12-bit JPEG other than sequential Huffman".to_string(),
                ))
            }
            _ => {}
        }
    }
    let frame = frame.ok_or_else(|| corrupt("no frame header"))?;
    let f = frame
        .get(..9)
        .ok_or_else(|| corrupt("short frame header"))?;
    if f[5] != 1 {
        return Err(ScanProblem::Unsupported(format!(
            "12-bit JPEG with {} components",
            f[5]
        )));
    }
    let quant_id = usize::from(f[8]);
    // The scan header: one component (id, DC/AC table ids), spectral
    // selection, approximation.
    let (s, entropy_at) = scan
        .filter(|(s, _)| s.len() >= 6 && s[0] == 1)
        .ok_or_else(|| corrupt("no scan header of one component"))?;
    let (dc_id, ac_id) = (usize::from(s[2] >> 4), usize::from(s[2] & 0xF));
    let table = |class: usize, id: usize| {
        tables[class]
            .get(id)
            .cloned()
            .flatten()
            .ok_or_else(|| corrupt("the scan names a Huffman table that is not there"))
    };
    Ok(Header {
        precision: f[0],
        height: usize::from(u16::from_be_bytes([f[1], f[2]])),
        width: usize::from(u16::from_be_bytes([f[3], f[4]])),
        quant: quant
            .get(quant_id)
            .copied()
            .flatten()
            .ok_or_else(|| corrupt("the frame names a quantisation table that is not there"))?,
        dc: table(0, dc_id)?,
        ac: table(1, ac_id)?,
        restart_interval,
        entropy_at,
    })
}

/// `basis[x][u]`: C(u) cos((2x + 1) u pi / 16) / 2, the separable IDCT's
/// factors (T.81 A.3.3), computed once per image.
fn idct_basis() -> [[f32; 8]; 8] {
    let mut basis = [[0f32; 8]; 8];
    for (x, row) in basis.iter_mut().enumerate() {
        for (u, b) in row.iter_mut().enumerate() {
            let c = if u == 0 {
                std::f32::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            *b = c * (((2 * x + 1) * u) as f32 * std::f32::consts::PI / 16.0).cos() / 2.0;
        }
    }
    basis
}

/// Inverse DCT of one dequantised block (natural order), level-shifted and
/// clamped to `precision` bits.
fn idct(block: &[f32; 64], basis: &[[f32; 8]; 8], precision: u8, out: &mut [u16; 64]) {
    let mut rows = [0f32; 64];
    for y in 0..8 {
        for x in 0..8 {
            rows[y * 8 + x] = (0..8).map(|u| basis[x][u] * block[y * 8 + u]).sum();
        }
    }
    let shift = (1u32 << (precision - 1)) as f32;
    let top = ((1u32 << precision) - 1) as f32;
    for x in 0..8 {
        for y in 0..8 {
            let v: f32 = (0..8).map(|v| basis[y][v] * rows[v * 8 + x]).sum();
            out[y * 8 + x] = (v + shift).round().clamp(0.0, top) as u16;
        }
    }
}

/// The samples of a 12-bit (or 8-bit) single-component sequential JPEG,
/// row-major, `width * height` of them.
pub(super) fn decode(stream: &[u8]) -> Result<(Vec<u16>, usize, usize), ScanProblem> {
    let h = read_header(stream)?;
    if !matches!(h.precision, 8 | 12) || h.width == 0 || h.height == 0 {
        return Err(corrupt(format!(
            "frame of {}x{} at {} bits",
            h.width, h.height, h.precision
        )));
    }
    let (across, down) = (h.width.div_ceil(8), h.height.div_ceil(8));
    let mut pixels = vec![0u16; h.width * h.height];
    let mut bits = Bits {
        data: stream.get(h.entropy_at..).unwrap_or_default(),
        at: 0,
        buffer: 0,
        count: 0,
        ran_out: false,
    };
    let (mut predictor, mut out, basis) = (0i32, [0u16; 64], idct_basis());
    for index in 0..across * down {
        if h.restart_interval > 0 && index > 0 && index % h.restart_interval == 0 {
            bits.restart()?;
            predictor = 0;
        }
        let mut block = [0f32; 64];
        let size = h.dc.decode(&mut bits)?;
        if size > 16 {
            return Err(corrupt("DC magnitude past 16 bits"));
        }
        // Wrapping: a damaged stream may sum past i32; garbage, not a panic.
        predictor = predictor.wrapping_add(bits.signed(size));
        block[0] = predictor as f32 * f32::from(h.quant[0]);
        let mut k = 1;
        while k < 64 {
            let rs = h.ac.decode(&mut bits)?;
            let (run, size) = (usize::from(rs >> 4), rs & 0xF);
            if size == 0 {
                if run != 15 {
                    break; // end of block
                }
                k += 16;
                continue;
            }
            k += run;
            if k > 63 {
                return Err(corrupt("AC coefficients past the block"));
            }
            block[ZIGZAG[k]] = bits.signed(size) as f32 * f32::from(h.quant[k]);
            k += 1;
        }
        if bits.ran_out {
            return Err(corrupt("the entropy-coded data ends before the last block"));
        }
        idct(&block, &basis, h.precision, &mut out);
        let (bx, by) = (index % across * 8, index / across * 8);
        for y in 0..8.min(h.height - by) {
            let row = (by + y) * h.width + bx;
            let n = 8.min(h.width - bx);
            pixels[row..row + n].copy_from_slice(&out[y * 8..y * 8 + n]);
        }
    }
    Ok((pixels, h.width, h.height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_block_inverts_to_its_level() {
        // DC only: F(0,0) = 8 * (value - level shift).
        let mut block = [0f32; 64];
        block[0] = 8.0 * 100.0;
        let mut out = [0u16; 64];
        idct(&block, &idct_basis(), 12, &mut out);
        assert!(out.iter().all(|&v| v == 2148), "{out:?}");
    }

    #[test]
    fn canonical_huffman_codes() {
        // Two codes of length 2 (00, 01) and one of 3 (100).
        let mut counts = [0u8; 16];
        counts[1] = 2;
        counts[2] = 1;
        let table = Huffman::new(&counts, &[7, 8, 9]);
        let data = [0b0110_0000, 0x00];
        let mut bits = Bits {
            data: &data,
            at: 0,
            buffer: 0,
            count: 0,
            ran_out: false,
        };
        assert_eq!(table.decode(&mut bits).unwrap(), 8);
        assert_eq!(table.decode(&mut bits).unwrap(), 9);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        assert!(decode(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
        assert!(decode(&[]).is_err());
    }
}
