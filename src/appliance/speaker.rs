//! The appliance's voice: one utterance at a time, each a `speech` event;
//! a newer utterance or a press cuts the one speaking (barge-in, a
//! `speech_cut` event), so stale speech is never queued behind a newer
//! event.

use super::events::{Event, EventLog};
use crate::device::speech::{Utterance, Voice};

/// espeak-ng as the appliance speaks through it.
pub struct Speaker {
    voice: Voice,
    speaking: Option<(Utterance, String)>,
}

impl Speaker {
    /// A speaker for `voice`, silent until asked.
    pub fn new(voice: Voice) -> Speaker {
        Speaker {
            voice,
            speaking: None,
        }
    }

    /// The voice, for the self-test.
    pub fn voice(&self) -> &Voice {
        &self.voice
    }

    /// Says `text`, cutting what was still being said.
    pub fn say(&mut self, text: &str, events: &mut EventLog) {
        self.cut(events);
        match self.voice.say(text) {
            Ok(utterance) => {
                events.emit(Event::Speech { text: text.into() });
                self.speaking = Some((utterance, text.into()));
            }
            Err(e) => log::warn!("speech: {e}"),
        }
    }

    /// Stops what is being said, if anything still is.
    pub fn cut(&mut self, events: &mut EventLog) {
        if let Some((mut utterance, text)) = self.speaking.take() {
            if utterance.cut() {
                events.emit(Event::SpeechCut { text });
            }
        }
    }
}
