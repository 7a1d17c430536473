//! The scans on the medium: listed read-only, sorted, re-listed as media
//! come and go. Nothing here opens a file for writing, creates or renames
//! anything; the scans are only ever read, by [`crate::scan::load`].

use std::path::{Path, PathBuf};

/// Folder levels searched below the mount point (a stick may hold a
/// folder per clinic or per day).
pub const MAX_DEPTH: usize = 4;

/// Extensions of files that are plainly not scans (notes, indexes, exports
/// put on the same stick); anything else is tried, and announced if bad.
pub const NOT_SCANS: [&str; 9] = [
    "txt", "md", "pdf", "html", "csv", "json", "xml", "ini", "log",
];

/// The files a folder offers as scans, sorted by path: regular files
/// (symbolic links followed); hidden names, `DICOMDIR` indexes and
/// [`NOT_SCANS`] left out; at most [`MAX_DEPTH`] folders down. `None` when the folder cannot be
/// read at all (no medium).
pub fn list(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    walk(dir, 0, &mut files).ok()?;
    files.sort();
    Some(files)
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.eq_ignore_ascii_case("DICOMDIR") {
            continue;
        }
        let path = entry.path();
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if extension.is_some_and(|e| NOT_SCANS.contains(&e.as_str())) {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => files.push(path),
            Ok(m) if m.is_dir() && depth + 1 < MAX_DEPTH => {
                // An unreadable sub-folder is skipped, not the whole medium.
                let _ = walk(&path, depth + 1, files);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The scan list and the position in it.
#[derive(Debug, Clone, Default)]
pub struct ScanShelf {
    dir: PathBuf,
    files: Vec<PathBuf>,
    current: Option<usize>,
}

/// What a re-listing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShelfChange {
    /// The same files.
    Same,
    /// Scans appeared where there were none (new media).
    Arrived,
    /// Every scan went away (medium pulled or emptied).
    Gone,
    /// Some files came or went; the position follows the current file.
    Changed,
}

impl ScanShelf {
    /// An empty shelf for `dir`; call [`ScanShelf::refresh`] to list it.
    pub fn new(dir: &Path) -> ScanShelf {
        ScanShelf {
            dir: dir.to_path_buf(),
            ..ScanShelf::default()
        }
    }

    /// Lists the folder again, keeping the position on the current file.
    pub fn refresh(&mut self) -> ShelfChange {
        let files = list(&self.dir).unwrap_or_default();
        if files == self.files {
            return ShelfChange::Same;
        }
        let was_empty = self.files.is_empty();
        let current = self.current.and_then(|i| self.files.get(i)).cloned();
        self.current = current.and_then(|c| files.iter().position(|f| *f == c));
        self.files = files;
        match (was_empty, self.files.is_empty()) {
            (true, false) => ShelfChange::Arrived,
            (false, true) => ShelfChange::Gone,
            _ => ShelfChange::Changed,
        }
    }

    /// How many scans there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no scans.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The position of the scan shown, if one is.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// Makes `index` current.
    pub fn set_current(&mut self, index: usize) {
        self.current = (index < self.files.len()).then_some(index);
    }

    /// The scan `steps` away from the current one, wrapping round the ends;
    /// from no current scan, forward starts at the first and back at the last.
    pub fn step(&self, steps: isize) -> Option<usize> {
        let n = self.files.len() as isize;
        if n == 0 {
            return None;
        }
        let from = match self.current {
            Some(i) => i as isize,
            None if steps > 0 => -1,
            None => 0,
        };
        Some((from + steps).rem_euclid(n) as usize)
    }

    /// The file at `index`.
    pub fn path(&self, index: usize) -> Option<&Path> {
        self.files.get(index).map(PathBuf::as_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_is_sorted_skips_hidden_and_follows_folders() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "b.dcm",
            "a.png",
            ".Trashes",
            "DICOMDIR",
            "day2/c.jpg",
            "README.TXT",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), b"x").unwrap();
        }
        std::fs::create_dir(d.join(".hidden")).unwrap();
        std::fs::write(d.join(".hidden/x.png"), b"x").unwrap();
        let names: Vec<String> = list(d)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.png", "b.dcm", "day2/c.jpg"]);
        assert_eq!(list(&d.join("absent")), None);
    }

    #[test]
    fn the_shelf_follows_media_and_keeps_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut shelf = ScanShelf::new(d);
        assert_eq!(shelf.refresh(), ShelfChange::Same);
        assert_eq!(shelf.step(1), None);
        std::fs::write(d.join("b"), b"x").unwrap();
        std::fs::write(d.join("c"), b"x").unwrap();
        assert_eq!(shelf.refresh(), ShelfChange::Arrived);
        assert_eq!(shelf.step(1), Some(0));
        assert_eq!(shelf.step(-1), Some(1));
        shelf.set_current(1);
        assert_eq!(shelf.step(1), Some(0), "wraps");
        std::fs::write(d.join("a"), b"x").unwrap();
        assert_eq!(shelf.refresh(), ShelfChange::Changed);
        assert_eq!(shelf.current(), Some(2), "still on c");
        for f in ["a", "b", "c"] {
            std::fs::remove_file(d.join(f)).unwrap();
        }
        assert_eq!(shelf.refresh(), ShelfChange::Gone);
        assert_eq!(shelf.current(), None);
    }
}
