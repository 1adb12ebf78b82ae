//! An open-loop, constant-rate HTTP load generator in the manner of wrk2.
//!
//! A dispatcher thread schedules request *i* at `start + i / rate` and hands it to a fixed pool
//! of keep-alive HTTP/1.1 connections through a queue; whichever connection is free sends it.
//! Latency is measured from the scheduled time, not from the moment a connection got round to
//! sending it, so a slow answer that delays the requests behind it counts against all of them
//! (no coordinated omission). The run stops by itself: nothing is scheduled after the duration,
//! and whatever is still waiting after a grace period is dropped and reported.

use crate::load::local_base;
use crate::points::{SearchParams, random_points, search_path};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long requests still queued or in flight may take after the last one was scheduled.
const GRACE: Duration = Duration::from_secs(10);
/// Latencies above this are recorded as this (µs).
const MAX_LATENCY_US: u64 = 60_000_000;

#[derive(Debug, clap::Args)]
pub struct OpenLoopArgs {
    /// Base URL of the API (127.0.0.1 only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Requests per second to schedule.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Seconds of measured load (at most 600).
    #[arg(long, default_value_t = 15.0)]
    pub duration: f64,
    /// Seconds of load before the measurement starts (not recorded).
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Keep-alive connections in the pool.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Runtime threads for the connections (the dispatcher has its own).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Seed of the random points and of the order they are asked in.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Number of distinct random points.
    #[arg(long, default_value_t = 10_000)]
    pub points: usize,
    #[command(flatten)]
    pub params: SearchParams,
}

struct Job {
    due: Instant,
    path: usize,
    record: bool,
}

#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    dropped: u64,
    last_done: Option<Instant>,
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake failed")?;
    tokio::spawn(async move {
        // The connection ends when the server closes it or the sender is dropped.
        let _ = connection.await;
    });
    Ok(sender)
}

async fn exchange(
    sender: &mut SendRequest<Empty<Bytes>>,
    host: &str,
    path: &str,
) -> Result<hyper::StatusCode> {
    sender.ready().await.context("connection closed")?;
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    // Read the whole body, frame by frame, without gathering it.
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        frame?;
    }
    Ok(status)
}

async fn worker(
    mut sender: SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    host: Arc<str>,
    paths: Arc<Vec<String>>,
    jobs: async_channel::Receiver<Job>,
    deadline: Instant,
) -> Result<(Histogram<u64>, Tally)> {
    let mut tally = Tally::default();
    let mut histogram = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3)?;
    while let Ok(job) = jobs.recv().await {
        if Instant::now() >= deadline {
            tally.dropped += 1;
            continue;
        }
        let path = paths.get(job.path).map_or("/", String::as_str);
        let outcome =
            tokio::time::timeout_at(deadline.into(), exchange(&mut sender, &host, path)).await;
        let done = Instant::now();
        match outcome {
            Ok(Ok(status)) if status.is_success() => {
                if job.record {
                    let us = done.saturating_duration_since(job.due).as_micros();
                    histogram.saturating_record(u64::try_from(us).unwrap_or(MAX_LATENCY_US).max(1));
                    tally.ok += 1;
                    tally.last_done = Some(done);
                }
            }
            Ok(Ok(_)) => tally.failed += 1,
            Ok(Err(_)) => {
                tally.failed += 1;
                match connect(addr).await {
                    Ok(s) => sender = s,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            Err(_) => tally.dropped += 1,
        }
    }
    Ok((histogram, tally))
}

fn socket_addr(url: &reqwest::Url) -> Result<SocketAddr> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        Some(url::Host::Domain("localhost")) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => bail!("only 127.0.0.1 may be a target"),
    };
    let port = url.port_or_known_default().context("no port")?;
    Ok(SocketAddr::new(ip, port))
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub async fn run(args: OpenLoopArgs) -> Result<()> {
    let base = local_base(&args.url)?;
    let addr = socket_addr(&base)?;
    if args.rate == 0 || args.rate > 1_000_000 {
        bail!("--rate must be between 1 and 1,000,000");
    }
    let duration_ok = args.duration > 0.0 && args.duration <= 600.0;
    if !duration_ok || !(0.0..=60.0).contains(&args.warmup) {
        bail!("--duration must be in (0, 600] s and --warmup in [0, 60] s");
    }
    let host: Arc<str> = Arc::from(format!("{}:{}", addr.ip(), addr.port()));
    let paths: Arc<Vec<String>> = Arc::new(
        random_points(args.seed, args.points.max(1))
            .into_iter()
            .map(|p| search_path(p, &args.params))
            .collect(),
    );
    // Open every connection before the clock starts.
    let mut senders = Vec::with_capacity(args.connections);
    for _ in 0..args.connections.max(1) {
        senders.push(connect(addr).await?);
    }
    let warm = (args.rate as f64 * args.warmup) as u64;
    let measured = (args.rate as f64 * args.duration) as u64;
    let total = warm + measured;
    let interval_ns = 1_000_000_000 / args.rate;
    let start = Instant::now() + Duration::from_millis(20);
    let measure_start = start + Duration::from_nanos(warm * interval_ns);
    let last_due = start + Duration::from_nanos(total * interval_ns);
    let deadline = last_due + GRACE;
    let (tx, rx) = async_channel::unbounded::<Job>();
    let (seed, n_paths, rate) = (args.seed, paths.len(), args.rate);
    let dispatcher = std::thread::Builder::new()
        .name("dispatcher".into())
        .spawn(move || {
            let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
            for i in 0..total {
                // Nanosecond schedule; i * 1e9 stays far below u64::MAX for any allowed run.
                let due = start + Duration::from_nanos(i * 1_000_000_000 / rate);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let job = Job {
                    due,
                    path: rng.gen_range(0..n_paths),
                    record: i >= warm,
                };
                if tx.send_blocking(job).is_err() {
                    break;
                }
            }
        })
        .context("cannot start the dispatcher thread")?;
    let mut handles = Vec::new();
    for sender in senders {
        handles.push(tokio::spawn(worker(
            sender,
            addr,
            host.clone(),
            paths.clone(),
            rx.clone(),
            deadline,
        )));
    }
    drop(rx);
    let mut histogram = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3)?;
    let mut tally = Tally::default();
    for h in handles {
        let (hist, t) = h.await.context("a connection task failed")??;
        histogram.add(&hist)?;
        tally.ok += t.ok;
        tally.failed += t.failed;
        tally.dropped += t.dropped;
        tally.last_done = tally.last_done.max(t.last_done);
    }
    if dispatcher.join().is_err() {
        bail!("the dispatcher thread panicked");
    }
    let window = tally
        .last_done
        .map_or(args.duration, |t| {
            t.saturating_duration_since(measure_start).as_secs_f64()
        })
        .max(args.duration);
    let achieved = tally.ok as f64 / window;
    println!(
        "openloop: {measured} requests scheduled at {} req/s for {} s (after {} s warm-up) over {} connections, {} threads, {} random points (seed {})",
        args.rate, args.duration, args.warmup, args.connections, args.threads, n_paths, args.seed
    );
    println!(
        "openloop: path e.g. {}",
        paths.first().map_or("", String::as_str)
    );
    println!(
        "openloop: completed {} (2xx), failed {}, dropped after the grace period {}; achieved {achieved:.0} req/s",
        tally.ok, tally.failed, tally.dropped
    );
    let q = |p: f64| ms(histogram.value_at_quantile(p));
    println!(
        "openloop: latency from the scheduled send time: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        q(0.50),
        q(0.90),
        q(0.99),
        q(0.999),
        ms(histogram.max())
    );
    println!(
        "RESULT openloop rate={} achieved={achieved:.0} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3} failed={} dropped={}",
        args.rate,
        q(0.50),
        q(0.90),
        q(0.99),
        q(0.999),
        ms(histogram.max()),
        tally.failed,
        tally.dropped
    );
    if tally.ok == 0 {
        bail!("no request succeeded");
    }
    Ok(())
}
