//! The compute threads the networks share. tract splits its matrix
//! products over an executor; one pool serves every network loaded with
//! the same [`Threads`], so the classifier and the depth network running
//! side by side do not start twice as many threads as the board has cores.

use std::num::NonZeroUsize;
use std::sync::Arc;

use tract_onnx::prelude::multithread::Executor;
use tract_onnx::prelude::RunOptions;

/// A pool of compute threads for tract (one thread: no pool at all).
#[derive(Debug, Clone)]
pub struct Threads {
    count: NonZeroUsize,
    executor: Executor,
}

impl Threads {
    /// `count` threads. A pool that cannot start falls back to one thread
    /// with a warning in the log: the device carries on, only slower.
    pub fn new(count: NonZeroUsize) -> Threads {
        if count.get() == 1 {
            return Threads::one();
        }
        match rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("touchray-nn-{i}"))
            .num_threads(count.get())
            .build()
        {
            Ok(pool) => Threads {
                count,
                executor: Executor::MultiThread(Arc::new(pool)),
            },
            Err(e) => {
                log::warn!("could not start {count} compute threads ({e}); using one");
                Threads::one()
            }
        }
    }

    /// One thread: everything on the caller's thread.
    pub fn one() -> Threads {
        Threads {
            count: NonZeroUsize::MIN,
            executor: Executor::SingleThread,
        }
    }

    /// As many threads as this machine has cores (one where that is not
    /// known).
    pub fn all_cores() -> Threads {
        Threads::new(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }

    /// `count` threads, or all cores for `None`.
    pub fn or_all_cores(count: Option<NonZeroUsize>) -> Threads {
        count.map_or_else(Threads::all_cores, Threads::new)
    }

    /// How many threads.
    pub fn count(&self) -> usize {
        self.count.get()
    }

    /// tract's run options for a plan using this pool.
    pub(crate) fn run_options(&self) -> RunOptions {
        RunOptions {
            executor: Some(self.executor.clone()),
            ..RunOptions::default()
        }
    }
}

impl Default for Threads {
    /// All cores, as on the board.
    fn default() -> Threads {
        Threads::all_cores()
    }
}

/// How networks are loaded: whether test fixtures may stand in, and the
/// threads they run on.
#[derive(Debug, Clone, Default)]
pub struct Loading {
    /// Also use models marked `fixture` (random weights, for tests).
    pub allow_fixture: bool,
    /// The compute threads every network loaded this way shares.
    pub threads: Threads,
}

impl Loading {
    /// Real models only, on all cores (the appliance's way).
    pub fn real() -> Loading {
        Loading::default()
    }

    /// Fixtures allowed, on all cores (tests and benchmarks).
    pub fn with_fixtures() -> Loading {
        Loading {
            allow_fixture: true,
            ..Loading::default()
        }
    }

    /// The same threads, real models only.
    pub fn without_fixtures(&self) -> Loading {
        Loading {
            allow_fixture: false,
            threads: self.threads.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_needs_no_pool_and_more_get_one() {
        assert!(matches!(Threads::one().executor, Executor::SingleThread));
        let two = Threads::new(NonZeroUsize::new(2).unwrap());
        assert_eq!(two.count(), 2);
        assert!(matches!(two.executor, Executor::MultiThread(_)));
        assert!(Threads::all_cores().count() >= 1);
    }
}
