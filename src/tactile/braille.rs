//! Grade-1 (uncontracted) braille for the label row: lowercase letters,
//! digits with the number sign, space, period and hyphen; drawn as 2x3 dot
//! cells directly onto a [`PinFrame`].

use embedded_graphics::prelude::Point;

use super::PinFrame;

/// Pins a cell takes across: two dot columns and one empty column, so that
/// neighbouring cells never touch.
pub const CELL_PITCH: i32 = 3;
/// Rows of pins a cell takes (dots 1-2-3 down the left column).
pub const CELL_ROWS: i32 = 3;

/// One braille cell: bit `n - 1` is dot `n` (dots 1, 2, 3 down the left
/// column, 4, 5, 6 down the right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell(pub u8);

/// The number sign (dots 3-4-5-6), put before a run of digits.
pub const NUMBER_SIGN: Cell = Cell(0b11_1100);
/// The letter sign (dots 5-6), put before a letter a..j that follows a digit
/// so that it is not read as one.
pub const LETTER_SIGN: Cell = Cell(0b11_0000);

/// A character the label cannot write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no grade-1 braille for {0:?}")]
pub struct Unbrailled(pub char);

/// Dot patterns of a..z, as dot numbers.
const LETTERS: [&[u8]; 26] = [
    &[1],
    &[1, 2],
    &[1, 4],
    &[1, 4, 5],
    &[1, 5],
    &[1, 2, 4],
    &[1, 2, 4, 5],
    &[1, 2, 5],
    &[2, 4],
    &[2, 4, 5],
    &[1, 3],
    &[1, 2, 3],
    &[1, 3, 4],
    &[1, 3, 4, 5],
    &[1, 3, 5],
    &[1, 2, 3, 4],
    &[1, 2, 3, 4, 5],
    &[1, 2, 3, 5],
    &[2, 3, 4],
    &[2, 3, 4, 5],
    &[1, 3, 6],
    &[1, 2, 3, 6],
    &[2, 4, 5, 6],
    &[1, 3, 4, 6],
    &[1, 3, 4, 5, 6],
    &[1, 3, 5, 6],
];

fn dots(numbers: &[u8]) -> Cell {
    Cell(numbers.iter().fold(0, |bits, n| bits | 1 << (n - 1)))
}

fn letter(c: char) -> Cell {
    dots(LETTERS[(c as u8 - b'a') as usize])
}

/// `text` as bytes for a display's braille line, in standard dot order
/// (bit n - 1 = dot n); none where some character has no braille (labels
/// and messages are made from words and digits that all have).
pub fn line_bytes(text: &str) -> Vec<u8> {
    cells(text)
        .unwrap_or_default()
        .iter()
        .map(|cell| cell.0)
        .collect()
}

/// The cells for `text`: letters are lowercased; a digit run starts with
/// the number sign (digits 1..9, 0 are the letters a..j), which lasts until
/// a space or a character that is neither digit nor letter a..j; a letter
/// a..j right after a digit gets the letter sign.
pub fn cells(text: &str) -> Result<Vec<Cell>, Unbrailled> {
    let mut out = Vec::with_capacity(text.len() + 2);
    let mut numeric = false;
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
        match c {
            '0'..='9' => {
                if !numeric {
                    out.push(NUMBER_SIGN);
                    numeric = true;
                }
                let as_letter = if c == '0' {
                    'j'
                } else {
                    (b'a' + (c as u8 - b'1')) as char
                };
                out.push(letter(as_letter));
            }
            'a'..='z' => {
                if numeric && c <= 'j' {
                    out.push(LETTER_SIGN);
                }
                numeric = false;
                out.push(letter(c));
            }
            ' ' => {
                numeric = false;
                out.push(Cell(0));
            }
            '.' => out.push(dots(&[2, 5, 6])),
            '-' => {
                numeric = false;
                out.push(dots(&[3, 6]));
            }
            other => return Err(Unbrailled(other)),
        }
    }
    Ok(out)
}

/// Raises the dots of `cells` at height `height`, the first cell's dot 1 at
/// `top_left`, [`CELL_PITCH`] pins per cell. Cells past `max_cells` are not
/// drawn. Returns how many were drawn.
pub fn draw_cells(
    frame: &mut PinFrame,
    cells: &[Cell],
    top_left: Point,
    max_cells: usize,
    height: u8,
) -> usize {
    let drawn = cells.len().min(max_cells);
    for (i, Cell(bits)) in cells.iter().take(drawn).enumerate() {
        let origin = top_left + Point::new(i as i32 * CELL_PITCH, 0);
        for dot in 0..6 {
            if bits & (1 << dot) != 0 {
                let at = origin + Point::new(dot / CELL_ROWS, dot % CELL_ROWS);
                frame.set(at, height);
            }
        }
    }
    drawn
}

/// A whole-display message in braille, word-wrapped, one line of cells
/// every [`CELL_ROWS`] + 1 pin rows, at the display's top level: how the
/// appliance says "no scans" or "bad file 3" by touch. Characters without
/// braille are left out.
pub fn message_frame(text: &str, geometry: super::Geometry) -> PinFrame {
    let mut frame = PinFrame::flat(geometry);
    let per_line = (geometry.width as i32 / CELL_PITCH).max(1) as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|&c| cells(&c.to_string()).is_ok())
            .collect();
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= per_line => {
                line.push(' ');
                line.push_str(&word);
            }
            _ => lines.push(word),
        }
    }
    let top = geometry.levels - 1;
    for (i, line) in lines.iter().enumerate() {
        let y = i as i32 * (CELL_ROWS + 1);
        if y + CELL_ROWS > geometry.height as i32 {
            break;
        }
        let line_cells = cells(line).unwrap_or_default();
        draw_cells(&mut frame, &line_cells, Point::new(0, y), per_line, top);
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tactile::Geometry;

    #[test]
    fn letters_and_digits_follow_grade_one() {
        assert_eq!(cells("a").unwrap(), vec![Cell(0b1)]);
        assert_eq!(cells("z").unwrap(), vec![dots(&[1, 3, 5, 6])]);
        assert_eq!(cells("w").unwrap(), vec![dots(&[2, 4, 5, 6])]);
        // "93": number sign, i (dots 2-4), c (dots 1-4).
        assert_eq!(
            cells("93").unwrap(),
            vec![NUMBER_SIGN, dots(&[2, 4]), dots(&[1, 4])]
        );
        // "0" is j; a run of digits carries one number sign.
        assert_eq!(cells("10").unwrap().len(), 3);
    }

    #[test]
    fn a_letter_a_to_j_after_a_digit_gets_the_letter_sign() {
        assert_eq!(
            cells("2a").unwrap(),
            vec![NUMBER_SIGN, dots(&[1, 2]), LETTER_SIGN, dots(&[1])]
        );
        // Letters past j cannot be read as digits: no letter sign.
        assert_eq!(cells("2z").unwrap().len(), 3);
        // A space ends the number.
        assert_eq!(cells("2 a").unwrap().len(), 4);
    }

    #[test]
    fn unknown_characters_are_refused() {
        assert_eq!(cells("pneu%"), Err(Unbrailled('%')));
    }

    #[test]
    fn cells_are_drawn_two_columns_wide_with_a_gap() {
        let mut frame = PinFrame::flat(Geometry::new(9, 3, 2).unwrap());
        // "ab" then a full cell.
        let full = Cell(0b11_1111);
        let drawn = draw_cells(
            &mut frame,
            &[Cell(0b1), Cell(0b11), full],
            Point::zero(),
            3,
            1,
        );
        assert_eq!(drawn, 3);
        let rows: Vec<&[u8]> = frame.rows().collect();
        assert_eq!(rows[0], [1, 0, 0, 1, 0, 0, 1, 1, 0]);
        assert_eq!(rows[1], [0, 0, 0, 1, 0, 0, 1, 1, 0]);
        assert_eq!(rows[2], [0, 0, 0, 0, 0, 0, 1, 1, 0]);
    }

    #[test]
    fn messages_wrap_onto_lines_of_cells() {
        let g = super::super::Geometry::new(12, 10, 2).unwrap();
        // Four cells across: "no" on one line, "scans" too long for one.
        let frame = message_frame("no scans", g);
        let rows: Vec<&[u8]> = frame.rows().collect();
        // "n" = dots 1-3-4-5: left column top and bottom, right column top two.
        assert_eq!(&rows[0][..2], [1, 1]);
        assert_eq!(&rows[1][..2], [0, 1]);
        assert_eq!(&rows[2][..2], [1, 0]);
        assert!(rows[3].iter().all(|&h| h == 0));
        // "s" = dots 2-3-4 starts the second line.
        assert_eq!(&rows[4][..2], [0, 1]);
        assert_eq!(&rows[5][..2], [1, 0]);
    }
}
