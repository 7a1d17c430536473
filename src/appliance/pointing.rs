//! Pointing at the picture: the cursor the user puts out, moves with the
//! pan keys (or sets with a Graphiti Plus routing key) and queries, and
//! the describe press that says everything about the scan shown.

use embedded_graphics::prelude::Point;
use embedded_graphics::primitives::Rectangle;

use super::events::Event;
use super::run_loop::Appliance;
use crate::speech;
use crate::tactile::cursor::Cursor;
use crate::tactile::layout::{Pan, Screen};

impl Appliance {
    /// The screen on show for the scan shown: the label on the braille line
    /// where the display has one, the cursor where it is out.
    pub(super) fn current_screen(&mut self) -> Option<Screen> {
        let label_on_line = self.display.has_braille_line();
        let prepared = self.shown.as_ref()?;
        Some(Screen {
            label_on_line,
            cursor: self.cursor,
            ..prepared.screen(self.view, self.viewport)
        })
    }

    /// The screen on show and where its picture lies on the display.
    fn screen_and_picture(&mut self) -> Option<(Screen, Rectangle)> {
        let screen = self.current_screen()?;
        let picture = self
            .shown
            .as_ref()?
            .picture(&screen, self.display.geometry());
        Some((screen, picture))
    }

    /// A pan key: moves the cursor one pin where it is out (zoomed in, the
    /// view follows it past its edge), or else pans the view.
    pub(super) fn pan(&mut self, direction: Pan) {
        let (Some(cursor), Some((_, picture))) = (self.cursor, self.screen_and_picture()) else {
            self.viewport.pan(direction);
            return;
        };
        let moved = cursor.step(direction, &self.viewport, picture);
        if moved.pin(&self.viewport, picture).is_none() {
            self.viewport.pan(direction);
        }
        self.cursor = Some(moved);
    }

    /// After a zoom: zoomed in, the view centres on the cursor (the user
    /// asked to look closer there); a cursor left outside the view comes
    /// back to its centre.
    pub(super) fn follow_cursor(&mut self, zoomed_in: bool) {
        let Some(cursor) = self.cursor else { return };
        if zoomed_in {
            self.viewport.centre_on(cursor.position());
        }
        if let Some((_, picture)) = self.screen_and_picture() {
            if cursor.pin(&self.viewport, picture).is_none() {
                self.cursor = Some(Cursor::centre_of(&self.viewport));
            }
        }
    }

    /// A query: puts the cursor out at the centre of the view where it is
    /// not out (or not in view), or at the column of the routing key
    /// pressed (`along` the display's width), and says what lies under it.
    pub(super) fn query(&mut self, along: Option<f32>) {
        let Some((screen, picture)) = self.screen_and_picture() else {
            return;
        };
        let viewport = self.viewport;
        let geometry = self.display.geometry();
        let mut cursor = self
            .cursor
            .filter(|c| c.pin(&viewport, picture).is_some())
            .unwrap_or_else(|| Cursor::centre_of(&viewport));
        if let Some(along) = along {
            let row = cursor
                .pin(&viewport, picture)
                .map_or(picture.center().y, |p| p.y);
            let column = (along * geometry.width as f32) as i32;
            cursor = Cursor::at_pin(Point::new(column, row), &viewport, picture);
        }
        self.cursor = Some(cursor);
        let Some(prepared) = self.shown.as_ref() else {
            return;
        };
        let place = prepared.place(cursor, &screen, geometry);
        let pin = cursor.pin(&viewport, picture).unwrap_or(picture.center());
        self.events.emit(Event::Query {
            column: pin.x,
            row: pin.y,
            place,
        });
        self.say(&speech::place(&place));
    }

    /// What the display's braille line says with `screen` on show: the
    /// place under the cursor while it is out and in view (a reader who
    /// cannot hear the query feels it there, and it follows the cursor),
    /// else the label.
    pub(super) fn line_text(&self, screen: &Screen) -> String {
        let geometry = self.display.geometry();
        let (Some(cursor), Some(prepared)) = (screen.cursor, self.shown.as_ref()) else {
            return screen.label();
        };
        let picture = prepared.picture(screen, geometry);
        match cursor.pin(&screen.viewport, picture) {
            Some(_) => prepared.place(cursor, screen, geometry).brief(),
            None => screen.label(),
        }
    }

    /// Puts the cursor away.
    pub(super) fn cursor_away(&mut self) {
        if self.cursor.take().is_some() {
            self.events.emit(Event::CursorAway);
            self.say("cursor off");
        }
    }

    /// The describe press: everything about the scan shown, as one
    /// utterance: what was said when it came up, then the view, the zoom
    /// and what lies under the cursor where it is out.
    pub(super) fn describe(&mut self) {
        let Some((screen, picture)) = self.screen_and_picture() else {
            return;
        };
        let mut parts: Vec<String> = self.described.iter().cloned().collect();
        parts.push(speech::view(&screen));
        parts.push(speech::zoom(self.viewport.zoom()));
        let geometry = self.display.geometry();
        if let (Some(cursor), Some(prepared)) = (self.cursor, self.shown.as_ref()) {
            if cursor.pin(&self.viewport, picture).is_some() {
                let place = prepared.place(cursor, &screen, geometry);
                parts.push(format!("under the cursor: {}", speech::place(&place)));
            }
        }
        self.say(&parts.join("; "));
    }
}
