//! Contact sheets for checking the anatomy on many films: for each film,
//! the film, its segmentation (patient's right lung red, left lung blue,
//! mediastinum yellow, opacity green, the air outside the body purple; a
//! red frame where the anatomy was not found and the relief view stands
//! in) and the pins of the anatomy view on a Graphiti. Prints one line per
//! film and the totals, and the legibility of every view over the films
//! (height changes per 100 raised pins and specks under 3 pins, in the
//! picture area; see touchray::tactile::legibility).
//!
//!     cargo run --release --example contact_sheet -- FOLDER --out sheet.png [--limit N] [--offset F] [--columns C] [--compact]
//!
//! FOLDER is searched recursively for scans (any format touchray reads);
//! with `--limit`, N files evenly spaced through the sorted list are used,
//! from `--offset` (a fraction of the spacing, 0 to 1: a different sample
//! of the same folder, so that the films a method is tuned on are not the
//! ones it is judged on). `--compact` puts only the segmentations on the
//! sheet, half size, in the order the films are listed: a page for
//! reviewing a hundred films and more.
//! scripts/contact-sheet.sh wraps this.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use image::{imageops, GrayImage, Luma, Rgb, RgbImage};
use touchray::device::preview::pins_image;
use touchray::pipeline::{render, Networks, Wanted};
use touchray::tactile::layout::{Regions, View, VIEWS};
use touchray::tactile::legibility::Legibility;
use touchray::tactile::{Geometry, RELIEF_SIZE};

const TILE: u32 = RELIEF_SIZE as u32;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut folder, mut out, mut limit, mut columns, mut offset) = (None, None, None, 2u32, 0.0);
    let mut compact = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--limit" => limit = Some(value()?.parse::<usize>()?),
            "--columns" => columns = value()?.parse()?,
            "--offset" => offset = value()?.parse::<f64>()?,
            "--compact" => compact = true,
            _ if folder.is_none() => folder = Some(PathBuf::from(arg)),
            _ => bail!("unexpected argument {arg}"),
        }
    }
    let (Some(folder), Some(out)) = (folder, out) else {
        bail!("usage: contact_sheet FOLDER --out SHEET.png [--limit N] [--columns C]");
    };
    let mut files = Vec::new();
    collect(&folder, &mut files)?;
    files.sort();
    if let Some(n) = limit.filter(|&n| n < files.len() && n > 0) {
        let step = files.len() as f64 / n as f64;
        files = (0..n)
            .map(|i| files[((i as f64 + offset) * step) as usize % files.len()].clone())
            .collect();
    }
    let networks = Networks::default();
    let geometry = Geometry::GRAPHITI;
    let mut tiles = Vec::new();
    let (mut found, mut estimated) = (0, 0);
    // Per view: changes per 100 raised pins of each film, and its specks.
    let mut measured: Vec<(View, Vec<f32>, usize)> =
        VIEWS.iter().map(|&v| (v, Vec::new(), 0)).collect();
    for path in &files {
        let name = path.strip_prefix(&folder).unwrap_or(path).display();
        let rendering = match render(path, &networks, Wanted::all(geometry)) {
            Ok(r) => r,
            Err(e) => {
                println!("{name}: {e}");
                continue;
            }
        };
        let film = rendering.film();
        let reading = &rendering.representations.reading;
        let overlay = overlay(&film, reading.anatomy.as_ref().ok());
        match &reading.anatomy {
            Ok(a) => {
                found += 1;
                estimated += usize::from(a.estimated().is_some());
                let note = a
                    .estimated()
                    .map(|l| format!(" ({l} lung estimated)"))
                    .unwrap_or_default();
                println!("{name}: anatomy{note}");
            }
            Err(problem) => println!("{name}: relief view: {problem}"),
        }
        let area = Regions::image_area(geometry, rendering.relief.aspect, &rendering.screen);
        for (view, ratios, specks) in &mut measured {
            // Only films that show the view itself: a fallback is the relief.
            let shown = touchray::tactile::layout::Screen {
                view: *view,
                ..rendering.screen
            }
            .settled(&rendering.representations)
            .shown();
            if shown != *view {
                continue;
            }
            let m = Legibility::measure(&rendering.frame_for(*view, geometry), area);
            if *view == View::Anatomy {
                println!(
                    "  {name}: anatomy view {:.1} changes per 100 raised pins, {} specks",
                    m.changes_per_100_raised, m.specks
                );
            }
            ratios.push(m.changes_per_100_raised);
            *specks += m.specks;
        }
        let pins = pins_image(&rendering.frame_for(View::Anatomy, geometry));
        tiles.push((film, overlay, pins, reading.anatomy.is_ok()));
    }
    println!(
        "{found} of {} films with anatomy ({estimated} with one lung estimated), {} in the relief view",
        tiles.len(),
        tiles.len() - found
    );
    println!(
        "view: films, changes per 100 raised pins (mean, median, max), specks under 3 pins (total)"
    );
    for (view, mut ratios, specks) in measured {
        ratios.sort_by(f32::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);
        let max = ratios.last().copied().unwrap_or(0.0);
        let mean = ratios.iter().sum::<f32>() / ratios.len().max(1) as f32;
        println!(
            "{}: {}, {mean:.1}, {median:.1}, {max:.1}, {specks}",
            view.name(),
            ratios.len()
        );
    }
    if compact {
        write_compact(&out, &tiles, columns.max(1))
    } else {
        write_sheet(&out, &tiles, columns.max(1))
    }
}

/// The segmentations alone, half size, in the order the films were
/// listed: many films on one page for a review.
fn write_compact(
    out: &Path,
    tiles: &[(GrayImage, RgbImage, RgbImage, bool)],
    columns: u32,
) -> anyhow::Result<()> {
    const SMALL: u32 = TILE / 2;
    let rows = (tiles.len() as u32).div_ceil(columns);
    let mut sheet = RgbImage::from_pixel(
        (SMALL + 2) * columns,
        (SMALL + 2) * rows,
        Rgb([255, 255, 255]),
    );
    for (k, (_, overlay, _, _)) in tiles.iter().enumerate() {
        let small = imageops::resize(overlay, SMALL, SMALL, imageops::FilterType::Triangle);
        let (x, y) = (
            (k as u32 % columns) * (SMALL + 2),
            (k as u32 / columns) * (SMALL + 2),
        );
        imageops::overlay(&mut sheet, &small, x.into(), y.into());
    }
    sheet
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// The film in gray with the anatomy tinted over it.
fn overlay(film: &GrayImage, anatomy: Option<&touchray::tactile::anatomy::Anatomy>) -> RgbImage {
    let mut image = RgbImage::from_fn(TILE, TILE, |x, y| {
        let v = film.get_pixel(x, y).0[0];
        Rgb([v, v, v])
    });
    let Some(anatomy) = anatomy else {
        for x in 0..TILE {
            for y in [0, 1, TILE - 2, TILE - 1] {
                image.put_pixel(x, y, Rgb([255, 0, 0]));
                image.put_pixel(y, x, Rgb([255, 0, 0]));
            }
        }
        return image;
    };
    let tint = |p: &mut Rgb<u8>, c: [u8; 3]| {
        for (v, c) in p.0.iter_mut().zip(c) {
            *v = ((u16::from(*v) + u16::from(c)) / 2) as u8;
        }
    };
    // The opacity layer as the view draws it without a classifier.
    let dense = touchray::tactile::reading::opaque(anatomy, None);
    for (x, y, p) in image.enumerate_pixels_mut() {
        let (xi, yi) = (x as isize, y as isize);
        if dense.get(xi, yi) {
            tint(p, [0, 255, 0]);
        } else if anatomy.right().get(xi, yi) {
            tint(p, [255, 40, 40]);
        } else if anatomy.left().get(xi, yi) {
            tint(p, [40, 80, 255]);
        } else if anatomy.mediastinum().get(xi, yi) {
            tint(p, [255, 220, 0]);
        } else if !anatomy.body().get(xi, yi) {
            tint(p, [160, 0, 200]);
        }
    }
    image
}

fn write_sheet(
    out: &Path,
    tiles: &[(GrayImage, RgbImage, RgbImage, bool)],
    columns: u32,
) -> anyhow::Result<()> {
    if tiles.is_empty() {
        bail!("no scans to put on a sheet");
    }
    let pins_w = |p: &RgbImage| p.width() * TILE / p.height();
    let cell_w = 2 * TILE + pins_w(&tiles[0].2) + 16;
    let rows = (tiles.len() as u32).div_ceil(columns);
    let mut sheet = RgbImage::from_pixel(cell_w * columns, (TILE + 8) * rows, Rgb([255, 255, 255]));
    for (k, (film, overlay, pins, _)) in tiles.iter().enumerate() {
        let (cx, cy) = (
            (k as u32 % columns) * cell_w,
            (k as u32 / columns) * (TILE + 8),
        );
        let gray = RgbImage::from_fn(TILE, TILE, |x, y| {
            let Luma([v]) = *film.get_pixel(x, y);
            Rgb([v, v, v])
        });
        imageops::overlay(&mut sheet, &gray, cx.into(), cy.into());
        imageops::overlay(&mut sheet, overlay, (cx + TILE).into(), cy.into());
        let small = imageops::resize(pins, pins_w(pins), TILE, imageops::FilterType::Triangle);
        imageops::overlay(&mut sheet, &small, (cx + 2 * TILE).into(), cy.into());
    }
    sheet
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))
}
