//! Without Redis one process serves, but the command line writes the same
//! SQLite database beside it. The server keeps copies of what it read
//! (clients, users, "not revoked" answers, forward-auth identities) and
//! forgets them when *it* changes them; what another process changed it
//! learns from this beacon: a file beside the database (`<database>-changes`)
//! to which every other process appends a byte after each of its writes.
//! Before believing a copy the server looks at the file's length (one
//! `stat`, no database round trip) and forgets every copy when it moved.
//! So a user disabled or a session ended by `tessera …` is refused by the
//! server's next request. Should the beacon fail (a file that cannot be
//! written), no copy is believed for more than a second anyway.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug)]
pub(super) struct Beacon {
    /// Open for appending, and for a `stat` without a path lookup; `None`
    /// if it cannot be opened, and then every copy is forgotten at once.
    file: Option<File>,
    /// This process tells others of its writes (every process but the server).
    announces: AtomicBool,
    /// The file's length when this process last looked.
    seen: AtomicU64,
}

impl Beacon {
    /// The beacon of the SQLite database at `database`.
    pub fn beside(database: &str) -> Self {
        let path = format!("{database}-changes");
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .inspect_err(|err| {
                tracing::warn!(
                    file = path,
                    error = %err,
                    "cannot open the file through which processes sharing the database tell each other of their writes; nothing is remembered"
                );
            })
            .ok();
        let seen = file.as_ref().map_or(0, length);
        Self {
            file,
            announces: AtomicBool::new(true),
            seen: AtomicU64::new(seen),
        }
    }

    /// The server keeps its own writes to itself: it forgets what they
    /// change as it makes them.
    pub fn stop_announcing(&self) {
        self.announces.store(false, Ordering::SeqCst);
    }

    /// After a write has committed: tell the other processes.
    pub fn announce(&self) {
        if !self.announces.load(Ordering::SeqCst) {
            return;
        }
        let written = match self.file.as_ref() {
            Some(mut file) => file.write_all(b"."),
            None => Err(std::io::ErrorKind::NotFound.into()),
        };
        if let Err(err) = written {
            tracing::warn!(
                error = %err,
                "cannot tell the server of this change; it sees it within a second"
            );
        }
    }

    /// Whether another process wrote since this one last asked (always,
    /// when the beacon cannot be read).
    pub fn moved(&self) -> bool {
        let Some(file) = &self.file else {
            return true;
        };
        let now = length(file);
        self.seen.swap(now, Ordering::SeqCst) != now
    }
}

fn length(file: &File) -> u64 {
    file.metadata().map_or(u64::MAX, |m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_elsewhere_moves_the_beacon_once() {
        let dir = std::env::temp_dir().join(format!("tessera-beacon-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let database = dir.join("t.db").display().to_string();
        let server = Beacon::beside(&database);
        server.stop_announcing();
        let command = Beacon::beside(&database);
        assert!(!server.moved());
        server.announce();
        assert!(!server.moved(), "the server's own writes are its own");
        command.announce();
        assert!(server.moved());
        assert!(!server.moved(), "seen once");
        command.announce();
        command.announce();
        assert!(server.moved());
        std::fs::remove_dir_all(&dir).ok();
    }
}
