//! Speech through the `espeak-ng` program, spawned (never linked) so that a
//! crash in the synthesiser cannot take the appliance down. This driver
//! knows text in and audio out; what to say is decided above it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::DeviceError;

/// How long one synthesis may take before it is stopped.
const LONGEST: Duration = Duration::from_secs(30);

/// How espeak-ng is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// The program, found on `PATH` when not a path.
    pub command: PathBuf,
    /// espeak-ng's voice or language (`-v`), e.g. `en`, `en-us`, `fr`.
    pub voice: String,
    /// Words per minute (`-s`, 80..=450).
    pub rate: u32,
    /// Amplitude (`-a`, 0..=200; 100 is espeak-ng's default).
    pub volume: u32,
    /// Where the voice goes: `None` for espeak-ng's own audio output, an
    /// ALSA device (e.g. `plughw:1,0`) to pipe it through `aplay -D`, or
    /// `"none"` to synthesise it and discard the sound (simulation, tests).
    pub audio_device: Option<String>,
}

impl Default for Voice {
    fn default() -> Self {
        Voice {
            command: PathBuf::from("espeak-ng"),
            voice: "en".into(),
            rate: 165,
            volume: 100,
            audio_device: None,
        }
    }
}

impl Voice {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.command);
        command
            .arg("-v")
            .arg(&self.voice)
            .arg("-s")
            .arg(self.rate.clamp(80, 450).to_string())
            .arg("-a")
            .arg(self.volume.min(200).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn spawned(&self, mut command: Command) -> Result<Child, DeviceError> {
        command
            .spawn()
            .map_err(|e| DeviceError::io(self.command.display(), e))
    }

    /// Whether the program runs at all (`--version`), for the self-test.
    pub fn check(&self) -> Result<(), DeviceError> {
        let mut command = Command::new(&self.command);
        command
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = self.spawned(command)?;
        self.finish(child, "--version")
    }

    /// Renders `text` to a WAV file at `wav`.
    pub fn render_wav(&self, text: &str, wav: &Path) -> Result<(), DeviceError> {
        let mut command = self.command();
        command.arg("-w").arg(wav).arg(text);
        let child = self.spawned(command)?;
        self.finish(child, "synthesis")
    }

    /// Starts speaking `text` on the audio output; the [`Utterance`] stops
    /// it when dropped or cut.
    pub fn say(&self, text: &str) -> Result<Utterance, DeviceError> {
        let mut command = self.command();
        let device = self.audio_device.as_deref();
        match device {
            Some("none") => {
                command.arg("-w").arg("/dev/null");
            }
            Some(_) => {
                command.arg("--stdout").stdout(Stdio::piped());
            }
            None => {}
        }
        // Nobody reads a speaking synthesiser's messages: a pipe left to
        // fill would stop it mid-sentence.
        command.arg(text).stderr(Stdio::null());
        let mut synth = self.spawned(command)?;
        let mut children = Vec::new();
        if let (Some(device), Some(pipe)) = (device.filter(|d| *d != "none"), synth.stdout.take()) {
            let player = Command::new("aplay")
                .args(["-q", "-D", device])
                .stdin(pipe)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| DeviceError::io("aplay", e));
            match player {
                Ok(p) => children.push(p),
                Err(e) => {
                    let _ = synth.kill();
                    let _ = synth.wait();
                    return Err(e);
                }
            }
        }
        children.insert(0, synth);
        Ok(Utterance { children })
    }

    /// Waits (bounded) for `child` and turns a failure into one line.
    fn finish(&self, mut child: Child, what: &str) -> Result<(), DeviceError> {
        let deadline = Instant::now() + LONGEST;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.failed(what, "took longer than 30 s"));
                }
                Err(e) => return Err(DeviceError::io(self.command.display(), e)),
            }
        };
        if status.success() {
            return Ok(());
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut stderr);
        }
        let first = stderr.lines().next().unwrap_or("").trim().to_string();
        Err(self.failed(what, &format!("{status} {first}")))
    }

    fn failed(&self, what: &str, why: &str) -> DeviceError {
        DeviceError::Config(format!(
            "{}: {what}: {}",
            self.command.display(),
            why.trim()
        ))
    }
}

/// Speech under way (the synthesiser, and the player where there is one);
/// cut off by [`Utterance::cut`] or when dropped.
#[derive(Debug)]
pub struct Utterance {
    children: Vec<Child>,
}

impl Utterance {
    /// Whether it is still speaking.
    pub fn is_speaking(&mut self) -> bool {
        self.children
            .iter_mut()
            .any(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Stops it now (barge-in); true if it was still speaking.
    pub fn cut(&mut self) -> bool {
        let speaking = self.is_speaking();
        for mut child in self.children.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
        speaking
    }
}

impl Drop for Utterance {
    fn drop(&mut self) {
        self.cut();
    }
}
