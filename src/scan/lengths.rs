//! Every element length in a DICOM file checked against the bytes that are
//! really there, before dicom-rs reads it.
//!
//! dicom-rs allocates what an element's length field declares before it
//! reads the value, so a damaged or hostile file of a few kilobytes can
//! claim gigabytes (a flipped VR that turns text into a length, a length
//! field overwritten with 0xFFFFFFF0) and abort the process or starve a
//! 512 MB board. This walk reads only the element headers, the way the
//! standard lays them out (PS3.5 section 7): explicit VR little endian for
//! the meta group, then the dataset in its transfer syntax's encoding. A
//! length larger than what is left of the file is refused by name; sequences
//! and items are entered (their contents are headers too), fragments of
//! encapsulated pixel data are stepped over. A data set that is not in its
//! transfer syntax's encoding (no VR where one must be, native pixel data
//! under a compressed syntax) is refused too. What the walk cannot read (a
//! deflated dataset, a header cut short) it leaves to dicom-rs, which then
//! refuses the file itself.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

use super::container::{DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE};
use super::ScanProblem;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);

/// How the dataset's headers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Encoding {
    explicit: bool,
    big_endian: bool,
}

/// What the walk learnt of a Part 10 file's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Part10 {
    /// The meta group's Transfer Syntax UID; empty when it has none.
    pub syntax: String,
    /// Where the data set starts, from `DICM`.
    pub dataset_at: usize,
    /// The data set is implicit VR little endian although the syntax says
    /// explicit (some writers do this; pydicom and dcmtk read it so).
    pub implicit_dataset: bool,
    /// The meta group's length (0002,0000) is where its elements end. When
    /// it says otherwise, dicom-rs (which reads meta elements until that
    /// length is used up, whatever their group) would start the data set
    /// elsewhere than this walk did, and read it unchecked: a fuzzed group
    /// length 24 bytes too long made it take a dose grid's text for a
    /// length and hold 2.2 GB. Such a file's data set is read from where
    /// the meta group's elements end, as pydicom reads it.
    pub meta_length_agrees: bool,
}

/// Checks the file whose bytes after the 128-byte preamble are `part10`
/// (`DICM` first).
pub(super) fn check(part10: &[u8]) -> Result<Part10, ScanProblem> {
    let body = part10.get(4..).unwrap_or_default();
    let mut walk = Walk {
        bytes: body,
        at: 0,
        encoding: EXPLICIT_LITTLE,
        encapsulated: None,
    };
    // The meta group (0002,xxxx), which names the transfer syntax.
    let mut syntax = String::new();
    let mut previous = None;
    // Where the group length says the meta group ends.
    let mut declared_end = None;
    while let Some(header) = walk.peek_group() {
        if header != 0x0002 {
            break;
        }
        let Some(element) = walk.header()? else {
            break;
        };
        // Each element once, in ascending order (PS3.5 7.1): a second meta
        // group spliced in after the first (a fuzzed file) names another
        // transfer syntax than the one dicom-rs takes, and the walk would
        // check the data set in the wrong encoding (3.5 GB unchecked).
        if previous.is_some_and(|p| element.tag <= p) {
            return Err(ScanProblem::Corrupt {
                format: "DICOM",
                detail: format!(
                    "file meta element (0002,{:04X}) out of order",
                    element.tag.1
                ),
            });
        }
        previous = Some(element.tag);
        if element.tag == (0x0002, 0x0000) {
            declared_end = walk
                .value(element.length)
                .and_then(|v| Some(u32::from_le_bytes(v.try_into().ok()?)))
                .map(|length| walk.at as u64 + element.length as u64 + u64::from(length));
        }
        if element.tag == (0x0002, 0x0010) {
            let value = walk.value(element.length).unwrap_or_default();
            syntax = String::from_utf8_lossy(value)
                .trim_end_matches(['\0', ' '])
                .to_string();
        }
        walk.skip(element.length)?;
    }
    let dataset_at = 4 + walk.at;
    let meta_length_agrees = declared_end.is_none_or(|end| end == walk.at as u64);
    let explicit_little = !matches!(
        syntax.as_str(),
        "" | IMPLICIT_LE | EXPLICIT_BE | DEFLATED_LE
    );
    let implicit_dataset = explicit_little && walk.next_has_no_vr();
    if implicit_dataset {
        walk.encoding = Encoding {
            explicit: false,
            big_endian: false,
        };
        if syntax != EXPLICIT_LE {
            walk.encapsulated = Some(syntax.clone());
        }
        walk.dataset()?;
    } else {
        walk.dataset_in(&syntax)?;
    }
    Ok(Part10 {
        syntax,
        dataset_at,
        implicit_dataset,
        meta_length_agrees,
    })
}

/// Checks a bare data set (no preamble, no meta group) written in
/// `syntax`.
pub(super) fn check_dataset(dataset: &[u8], syntax: &str) -> Result<(), ScanProblem> {
    Walk {
        bytes: dataset,
        at: 0,
        encoding: EXPLICIT_LITTLE,
        encapsulated: None,
    }
    .dataset_in(syntax)
}

const EXPLICIT_LITTLE: Encoding = Encoding {
    explicit: true,
    big_endian: false,
};

/// Refuses a binary value whose length is not a whole number of its VR's
/// values (a UL of 2 bytes): dicom-rs reads whole values only and leaves
/// the rest, and from there reads the data set out of step, taking text for
/// tags and lengths (a fuzzed US turned UL of 2 bytes made it ask for
/// 1.2 GB).
fn check_value_size(tag: (u16, u16), vr: VR, length: u32) -> Result<(), ScanProblem> {
    let size = match vr {
        VR::US | VR::SS | VR::OW => 2,
        VR::UL | VR::SL | VR::FL | VR::AT | VR::OL | VR::OF => 4,
        VR::FD | VR::UV | VR::SV | VR::OD | VR::OV => 8,
        _ => return Ok(()),
    };
    if length == UNDEFINED || length.is_multiple_of(size) {
        return Ok(());
    }
    Err(ScanProblem::Corrupt {
        format: "DICOM",
        detail: format!(
            "element ({:04X},{:04X}) of VR {} holds {length} bytes, not a whole number of {size}-byte values",
            tag.0,
            tag.1,
            vr.to_string()
        ),
    })
}

/// One element header.
#[derive(Debug, Clone, Copy)]
struct Header {
    tag: (u16, u16),
    sequence: bool,
    length: u32,
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    encoding: Encoding,
    /// The transfer syntax compresses the pixel data (so it must come as
    /// fragments of undefined length).
    encapsulated: Option<String>,
}

impl Walk<'_> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.bytes.get(self.at..self.at + N)?.try_into().ok()?;
        self.at += N;
        Some(bytes)
    }

    fn u16(&self, b: [u8; 2]) -> u16 {
        if self.encoding.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(&self, b: [u8; 4]) -> u32 {
        if self.encoding.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// The group of the next element, without reading it.
    fn peek_group(&self) -> Option<u16> {
        self.bytes
            .get(self.at..self.at + 2)
            .map(|b| self.u16([b[0], b[1]]))
    }

    /// Whether the next element, read as explicit VR, has no VR where one
    /// must be (so the data set is implicit VR).
    fn next_has_no_vr(&self) -> bool {
        self.bytes
            .get(self.at + 4..self.at + 6)
            .is_some_and(|vr| VR::from_binary([vr[0], vr[1]]).is_none())
    }

    /// The 4-byte length after the 2 reserved bytes, without reading it.
    fn peek_u32(&self) -> Option<u32> {
        self.bytes
            .get(self.at + 2..self.at + 6)
            .map(|b| self.u32([b[0], b[1], b[2], b[3]]))
    }

    /// The next header; `None` at the end, where it is cut short, or where
    /// the walk cannot follow the file.
    fn header(&mut self) -> Result<Option<Header>, ScanProblem> {
        let (Some(g), Some(e)) = (self.take::<2>(), self.take::<2>()) else {
            return Ok(None);
        };
        let tag = (self.u16(g), self.u16(e));
        // Items and delimiters have no VR, whatever the transfer syntax;
        // in implicit VR the dictionary says which tags are sequences.
        // Group FFFE has three tags: item, item end, sequence end. Another
        // (a fuzzed FFFE,FFFF) is read one way here and another by dicom-rs,
        // which then reads out of step (1.3 GB).
        if tag.0 == 0xFFFE && !matches!(tag.1, 0xE000 | 0xE00D | 0xE0DD) {
            return Err(ScanProblem::Corrupt {
                format: "DICOM",
                detail: format!("unknown item tag (FFFE,{:04X})", tag.1),
            });
        }
        if tag.0 == 0xFFFE || !self.encoding.explicit {
            let Some(length) = self.take::<4>() else {
                return Ok(None);
            };
            let vr = match StandardDataDictionary
                .by_tag(Tag(tag.0, tag.1))
                .map(|e| e.vr())
            {
                Some(VirtualVr::Exact(vr)) if tag.0 != 0xFFFE => Some(vr),
                _ => None,
            };
            let length = self.u32(length);
            if let Some(vr) = vr {
                check_value_size(tag, vr, length)?;
            }
            return Ok(Some(Header {
                tag,
                sequence: vr == Some(VR::SQ),
                length,
            }));
        }
        let Some(vr) = self.take::<2>() else {
            return Ok(None);
        };
        // A VR that is no VR: the data set is not written as its transfer
        // syntax says (a changed syntax, an implicit file labelled
        // explicit); dicom-rs would read garbage lengths from here on.
        if !vr.iter().all(u8::is_ascii_uppercase) {
            return Err(ScanProblem::Corrupt {
                format: "DICOM",
                detail: format!(
                    "element ({:04X},{:04X}) has no value representation: the data set is not in its transfer syntax's encoding",
                    tag.0, tag.1
                ),
            });
        }
        // A VR the standard does not (yet) define is read as UN is, with a
        // 4-byte length (PS3.5 7.1.2), as dicom-rs reads it: walked as a
        // 2-byte one, a meta group VR damaged to "QI" hid a 774 MB length.
        let long = VR::from_binary(vr).is_none()
            || matches!(
                &vr,
                b"OB"
                    | b"OD"
                    | b"OF"
                    | b"OL"
                    | b"OV"
                    | b"OW"
                    | b"SQ"
                    | b"SV"
                    | b"UC"
                    | b"UN"
                    | b"UR"
                    | b"UT"
                    | b"UV"
            );
        if &vr == b"UN" && self.peek_u32() == Some(UNDEFINED) {
            // A sequence of unknown VR (its contents implicit VR). dicom-rs
            // 0.10 cannot read one (pydicom's UN_sequence.dcm), and on the
            // way to saying so a 674-byte fuzzed file made it hold 3.5 GB:
            // refused here, before it reads.
            return Err(ScanProblem::Unsupported(format!(
                "element ({:04X},{:04X}): a sequence of unknown VR (UN, undefined length)",
                tag.0, tag.1
            )));
        }
        let length = if long {
            let (Some(_reserved), Some(length)) = (self.take::<2>(), self.take::<4>()) else {
                return Ok(None);
            };
            self.u32(length)
        } else {
            let Some(length) = self.take::<2>() else {
                return Ok(None);
            };
            u32::from(self.u16(length))
        };
        if let Some(vr) = VR::from_binary(vr) {
            check_value_size(tag, vr, length)?;
        }
        Ok(Some(Header {
            tag,
            sequence: &vr == b"SQ",
            length,
        }))
    }

    fn value(&self, length: u32) -> Option<&[u8]> {
        self.bytes
            .get(self.at..self.at.checked_add(length as usize)?)
    }

    /// Steps over a value of `length` bytes, refusing one longer than the
    /// rest of the file.
    fn skip(&mut self, length: u32) -> Result<(), ScanProblem> {
        if length == UNDEFINED {
            return Ok(());
        }
        let length = length as usize;
        if length > self.left() {
            return Err(self.too_long(length));
        }
        self.at += length;
        Ok(())
    }

    fn too_long(&self, length: usize) -> ScanProblem {
        ScanProblem::Corrupt {
            format: "DICOM",
            detail: format!(
                "an element claims {length} bytes where {} are left in the file",
                self.left()
            ),
        }
    }

    /// The data set from here on, in the encoding `syntax` names.
    fn dataset_in(&mut self, syntax: &str) -> Result<(), ScanProblem> {
        self.encoding = match syntax {
            // Compressed, or not named: dicom-rs says what is wrong.
            DEFLATED_LE | "" => return Ok(()),
            IMPLICIT_LE => Encoding {
                explicit: false,
                big_endian: false,
            },
            EXPLICIT_BE => Encoding {
                explicit: true,
                big_endian: true,
            },
            EXPLICIT_LE => EXPLICIT_LITTLE,
            _ => {
                self.encapsulated = Some(syntax.to_string());
                EXPLICIT_LITTLE
            }
        };
        self.dataset()
    }

    /// Every header of the dataset, nested sequences and items included.
    fn dataset(&mut self) -> Result<(), ScanProblem> {
        // Inside encapsulated pixel data, items are fragments to step over.
        let mut fragments = false;
        while let Some(h) = self.header()? {
            let undefined = h.length == UNDEFINED;
            if !undefined && h.length as usize > self.left() {
                return Err(self.too_long(h.length as usize));
            }
            match h.tag {
                SEQUENCE_END => fragments = false,
                ITEM if fragments => self.skip(h.length)?,
                // Items, delimiters and sequences: their contents are
                // headers too, read in turn.
                (0xFFFE, _) => {}
                _ if h.sequence => {}
                PIXEL_DATA if undefined => fragments = true,
                // A compressed syntax over native pixel data (a changed
                // transfer syntax): the parser would take samples for
                // fragment headers.
                PIXEL_DATA if self.encapsulated.is_some() => {
                    let syntax = self.encapsulated.as_deref().unwrap_or_default();
                    return Err(ScanProblem::Corrupt {
                        format: "DICOM",
                        detail: format!(
                            "transfer syntax {syntax} needs encapsulated pixel data, the file has native"
                        ),
                    });
                }
                // An undefined-length value that is not pixel data (UN
                // holding a sequence): its contents are read as headers.
                _ if undefined => {}
                _ => self.skip(h.length)?,
            }
        }
        Ok(())
    }
}
