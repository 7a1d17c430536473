//! Where the DICOM data set is in a file, and reading it with every element
//! length checked first (lengths.rs): a Part 10 file with or without its
//! preamble, a bare data set without a meta group (old CR exports, "DICOM
//! stream" files), a deflated data set (inflated here, bounded), an implicit
//! data set under an explicit syntax, and a meta group dicom-rs refuses
//! (the data set after it is read on its own).

use std::io::Cursor;

use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::dicom::text;
use super::{lengths, ScanProblem};

const PREAMBLE: usize = 128;
const MAGIC: &[u8; 4] = b"DICM";
pub(super) const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub(super) const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub(super) const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
pub(super) const DEFLATED_LE: &str = "1.2.840.10008.1.2.1.99";
/// Secondary Capture, for a bare data set that does not name its class.
const SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";

/// How the DICOM data set sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    /// A Part 10 file: `DICM` and the meta group at this offset (128 after
    /// a preamble, 0 where a writer left the preamble out).
    Part10 { magic_at: usize },
    /// A bare data set, no preamble and no meta group (old CR exports,
    /// "DICOM stream" files), in the encoding its first element shows.
    Bare { syntax: &'static str },
}

/// Whether `bytes` are DICOM, and how. A bare data set is recognised by its
/// first element, of group 0008 (every image has its identifying group
/// first): little endian `08 00`, big endian `00 08`, and a VR after the
/// tag when explicit.
pub(super) fn sniff(bytes: &[u8]) -> Option<Container> {
    if bytes.get(PREAMBLE..PREAMBLE + 4) == Some(MAGIC.as_slice()) {
        return Some(Container::Part10 { magic_at: PREAMBLE });
    }
    if bytes.starts_with(MAGIC) {
        return Some(Container::Part10 { magic_at: 0 });
    }
    let head = bytes.get(..8)?;
    let vr = dicom_core::VR::from_binary([head[4], head[5]]).is_some();
    match (head[0], head[1]) {
        (0x08, 0x00) if vr => Some(Container::Bare {
            syntax: EXPLICIT_LE,
        }),
        (0x08, 0x00) => Some(Container::Bare {
            syntax: IMPLICIT_LE,
        }),
        (0x00, 0x08) if vr => Some(Container::Bare {
            syntax: EXPLICIT_BE,
        }),
        _ => None,
    }
}

fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail: detail.to_string(),
    }
}

/// The data set of `bytes` as dicom-rs reads it, every element length
/// checked first.
pub(super) fn open(bytes: &[u8], container: Container) -> Result<DefaultDicomObject, ScanProblem> {
    match container {
        Container::Part10 { magic_at } => {
            let part10 = &bytes[magic_at..];
            // Before dicom-rs allocates what the lengths declare.
            let layout = lengths::check(part10)?;
            // dicom-rs cannot read a file without one either; before it
            // tries (a damaged meta group made it hold 1.6 GB).
            if layout.syntax.is_empty() {
                return Err(corrupt("the file meta group has no Transfer Syntax UID"));
            }
            let dataset = part10.get(layout.dataset_at..).unwrap_or_default();
            if layout.syntax == DEFLATED_LE {
                let inflated = inflate(dataset)?;
                lengths::check_dataset(&inflated, EXPLICIT_LE)?;
                return read_dataset(&inflated, EXPLICIT_LE, DEFLATED_LE);
            }
            if !layout.implicit_dataset && layout.meta_length_agrees {
                let read = OpenFileOptions::new()
                    .read_preamble(ReadPreamble::Never)
                    .from_reader(Cursor::new(part10));
                // dicom-rs refuses some meta groups pydicom reads (no group
                // length, say): then the data set after it is read on its
                // own below.
                if let Ok(obj) = read {
                    return Ok(obj);
                }
            }
            let encoding = match layout.syntax.as_str() {
                _ if layout.implicit_dataset => IMPLICIT_LE,
                native @ (IMPLICIT_LE | EXPLICIT_BE) => native,
                _ => EXPLICIT_LE,
            };
            read_dataset(dataset, encoding, &layout.syntax)
        }
        Container::Bare { syntax } => {
            lengths::check_dataset(bytes, syntax)?;
            read_dataset(bytes, syntax, syntax)
        }
    }
}

/// The largest inflated data set: a 50-megapixel 16-bit frame is 100 MB,
/// the pixel budget's worth; a file that inflates past this is a bomb (a
/// 1 MB deflate stream can inflate to 1 GB).
const MAX_INFLATED: u64 = 128 << 20;

/// A deflated data set (PS3.5 A.5: raw deflate, no zlib header), inflated
/// to at most [`MAX_INFLATED`] bytes.
fn inflate(deflated: &[u8]) -> Result<Vec<u8>, ScanProblem> {
    use std::io::Read;
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| corrupt(format!("deflated data set: {e}")))?;
    if inflated.len() as u64 > MAX_INFLATED {
        return Err(corrupt(format!(
            "deflated data set inflates past {} MiB",
            MAX_INFLATED >> 20
        )));
    }
    Ok(inflated)
}

/// A data set without its meta group, written in `encoding`, whose pixel
/// data is in `pixel_syntax`.
fn read_dataset(
    dataset: &[u8],
    encoding: &str,
    pixel_syntax: &str,
) -> Result<DefaultDicomObject, ScanProblem> {
    let ts = TransferSyntaxRegistry
        .get(encoding)
        .ok_or_else(|| corrupt(format!("transfer syntax {encoding} unknown")))?;
    let dataset =
        InMemDicomObject::read_dataset_with_ts(Cursor::new(dataset), ts).map_err(corrupt)?;
    let uid = |tag| text(&dataset, tag);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(pixel_syntax)
        .media_storage_sop_class_uid(
            uid(tags::SOP_CLASS_UID).unwrap_or_else(|| SECONDARY_CAPTURE.to_string()),
        )
        .media_storage_sop_instance_uid(
            uid(tags::SOP_INSTANCE_UID).unwrap_or_else(|| "2.25.0".to_string()),
        )
        .build()
        .map_err(corrupt)?;
    Ok(dataset.with_exact_meta(meta))
}
