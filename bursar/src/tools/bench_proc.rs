//! The server under `bursar bench`: the same binary, run as `bursar serve`
//! in a child process on the bench's store, so that its start-up time and
//! resident memory are its own and not the load generator's.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `bursar serve`.
pub struct ServerProc {
    child: Child,
    pub base: String,
    /// From spawning the process to its first ready answer.
    pub cold_start: Duration,
}

impl ServerProc {
    /// Starts `bursar serve` on `database_url` at a free local port and waits until `/readyz` answers 200.
    pub async fn start(database_url: &str) -> anyhow::Result<ServerProc> {
        ServerProc::start_with(database_url, &[]).await
    }

    /// [`ServerProc::start`] with settings of its own (`BURSAR_…` variables).
    pub async fn start_with(database_url: &str, settings: &[(&str, &str)]) -> anyhow::Result<ServerProc> {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?
        };
        let exe = std::env::current_exe()?;
        let started = Instant::now();
        let child = Command::new(exe)
            .arg("serve")
            .env("BURSAR_DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("BURSAR_LOG", std::env::var("BURSAR_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut server = ServerProc { child, base: format!("http://{addr}"), cold_start: Duration::ZERO };
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
                if r.status().is_success() {
                    server.cold_start = started.elapsed();
                    return Ok(server);
                }
            }
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("the server exited before it was ready ({status})");
            }
            anyhow::ensure!(Instant::now() < deadline, "the server was not ready within 2 minutes");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak (VmRSS, VmHWM), in MiB.
    pub fn memory_mib(&self) -> anyhow::Result<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        Ok((status_mib(&status, "VmRSS:"), status_mib(&status, "VmHWM:")))
    }

    /// Stops it as Ctrl-C would (it finishes what it was doing), and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        for _ in 0..300 {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

/// Resident memory of process `pid` now (VmRSS), in MiB.
pub fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    Ok(status_mib(&std::fs::read_to_string(format!("/proc/{pid}/status"))?, "VmRSS:"))
}

/// A `/proc/<pid>/status` field given in kB, in MiB (NaN when absent).
fn status_mib(status: &str, name: &str) -> f64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
