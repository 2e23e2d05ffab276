//! Password hashing with argon2id (the crate's defaults), as PHC strings, on
//! a bounded pool: argon2 takes tens of milliseconds of CPU and about 19 MiB
//! per hash by design, so hashes run on a rayon pool of one thread per
//! core, never on the async workers and never on more threads than that (the
//! allocator keeps each hashing thread's 19 MiB for reuse, so the thread
//! count bounds the memory too). A sign-in that finds the pool busy for longer than
//! [`HASH_QUEUE_WAIT`] is refused with [`Busy`] (answered 429 with
//! `Retry-After`) instead of stalling ingest and every page.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// A valid hash of a random password, checked against when an email is
/// unknown so that both paths take the same time.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Z5cR0dMrGtmyTwBKMYW0/g$ryAz6dq4yuyHT0xxIXjI3OQBHUL4Bd9HHX5LsHoQsvk";

/// How long a hash may wait for the pool before the request is refused.
pub const HASH_QUEUE_WAIT: Duration = Duration::from_millis(250);

/// Hashing threads: one per core the process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// Makes glibc hand blocks of 4 MiB and more straight back to the system
/// when freed. By default its mmap threshold grows to the largest block
/// freed (up to 32 MiB), after which argon2's 19 MiB blocks come from, and
/// stay in, each thread's arena: measured in the security suite, a burst
/// of 40 sign-ins then left the process 110 MiB larger. With the threshold
/// fixed (`mallopt(3)`, `M_MMAP_THRESHOLD`) each hash's memory is returned.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of glibc's allocator; it
    // is thread-safe, and is called once, before the hashing threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Permits for hashes in flight: as many as there are hashing threads.
static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cores())));

/// The hashing threads.
static POOL: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    return_large_blocks();
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores())
        .thread_name(|i| format!("bursar-argon2-{i}"))
        .build()
        .expect("the password hashing threads could not start")
});

/// Every hashing slot stayed busy for [`HASH_QUEUE_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins at once; retry in a second")]
pub struct Busy;

/// Runs `f` on a hashing thread once one is free.
async fn pooled<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let permit = tokio::time::timeout(HASH_QUEUE_WAIT, PERMITS.clone().acquire_owned())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    POOL.spawn(move || {
        let _ = tx.send(f());
        drop(permit);
    });
    rx.await.map_err(|_| Busy)
}

/// Hashes a password with a fresh salt, on the pool.
pub async fn hash(password: &str) -> Result<String, Busy> {
    let p = password.to_string();
    pooled(move || hash_password(&p)).await
}

/// Checks a password against a stored hash, on the pool.
pub async fn verify(password: &str, hash: &str) -> Result<bool, Busy> {
    let (p, h) = (password.to_string(), hash.to_string());
    pooled(move || verify_password(&p, &h)).await
}

/// Hashes a password with a fresh salt (blocking; prefer [`hash`] on a server).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

/// Whether a password matches a stored hash (false for a malformed hash);
/// blocking, prefer [`verify`] on a server.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong horse battery", &a));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_instead_of_queueing() {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let many: Vec<_> = (0..cores * 20).map(|_| tokio::spawn(verify("guess", DUMMY_HASH))).collect();
        let mut busy = 0;
        for h in many {
            if h.await.unwrap() == Err(Busy) {
                busy += 1;
            }
        }
        assert!(busy > 0, "{} hashes at once were all let through", cores * 20);
        assert_eq!(verify("guess", DUMMY_HASH).await, Ok(false), "the pool frees up again");
    }
}
