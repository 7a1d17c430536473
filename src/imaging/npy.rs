//! NumPy's `.npy` format for 2-d float32 arrays: the relief touchray
//! writes (`relief.npy`) and the weight files the manifest lists.
//!
//! Written here rather than taken from `npyz`: that crate parses headers
//! with `pest`, whose stack guard (`stacker`/`psm`) adds a C and assembly
//! build step to every board target, for a format of one header line.

use std::io::Write;

/// Why bytes are not the float32 array expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a float32 .npy: {0}")]
pub struct NpyError(&'static str);

/// Writes a row-major `rows x cols` float32 array in NumPy's `.npy` format
/// (version 1.0, little-endian), readable with `numpy.load`.
pub fn write_npy(
    out: &mut impl Write,
    values: &[f32],
    rows: usize,
    cols: usize,
) -> std::io::Result<()> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + header length (2) + header, padded with
    // spaces and ended by '\n' to a multiple of 64 bytes.
    let unpadded = 10 + dict.len() + 1;
    let header = format!(
        "{dict}{}\n",
        " ".repeat(unpadded.next_multiple_of(64) - unpadded)
    );
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(header.len() as u16).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    let mut data = Vec::with_capacity(values.len() * 4);
    for v in values {
        data.extend_from_slice(&v.to_le_bytes());
    }
    out.write_all(&data)
}

/// A little-endian float32, C-order `.npy` array: its shape and values.
pub fn read_npy_f32(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), NpyError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(NpyError("no magic"));
    }
    let (header_len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(NpyError("unknown version")),
    };
    let header = bytes
        .get(start..start.saturating_add(header_len))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or(NpyError("short header"))?;
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(NpyError("dtype must be '<f4' in C order"));
    }
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or(NpyError("no shape"))?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| NpyError("shape")))
        .collect::<Result<_, _>>()?;
    let data = &bytes[start + header_len..];
    let n = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or(NpyError("shape"))?;
    if Some(data.len()) != n.checked_mul(4) {
        return Err(NpyError("data size does not match the shape"));
    }
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((shape, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_data_follows() {
        let mut out = Vec::new();
        write_npy(&mut out, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3).unwrap();
        assert_eq!(&out[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([out[8], out[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&out[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)") && header.ends_with('\n'));
        assert_eq!(out.len(), 10 + header_len + 24);
        assert_eq!(
            &out[10 + header_len..10 + header_len + 4],
            &1.0f32.to_le_bytes()
        );
    }

    #[test]
    fn what_is_written_reads_back() {
        let mut out = Vec::new();
        write_npy(&mut out, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3).unwrap();
        let (shape, values) = read_npy_f32(&out).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(read_npy_f32(&out[..out.len() - 1]).is_err());
        assert!(read_npy_f32(b"\x93NUMPY").is_err());
    }
}
