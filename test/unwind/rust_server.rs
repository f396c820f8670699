// rust_server.rs - the seed's server (issue 11), std only, builds with
// Debian 12's rustc 1.63.
//
//   rust_server catch PORT   accept loop; each connection is handled inside
//                            catch_unwind, the loop goes on after a panic
//   rust_server thread PORT  one thread per connection, joined before the
//                            next accept
//
// Prints "READY PORT" once listening.  Each connection sends one request
// line; the handler writes "Hello.\n" through a BufWriter, then:
//   ok           "We are done!\n", flush, shutdown(Both): graceful
//   panic        panics holding the stream: dropped while unwinding
//   err          returns Err: the stream is dropped without shutdown
//   panic-after  (catch) panics holding only a borrow; after catch_unwind
//                returned, "Recovered.\n" and a plain drop: graceful
//                (thread) the handler's clone is dropped while unwinding;
//                after the join, "Joined.\n" and a plain drop: graceful
//   panic-inline (catch) the closure given to catch_unwind owns the stream
//                and panics itself (no handler function between them)
//   hold         (thread) the handler thread panics and, while it unwinds
//                (a guard's drop, before the stream's), the main thread
//                accepts the next connection and answers it with a plain
//                drop: per-thread precision ("UNWINDING" is printed first)
// After each connection it prints "DONE <request> <ok|err|panicked>".
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;

fn read_request(stream: &TcpStream) -> io::Result<String> {
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line.trim().to_string())
}

fn handle(stream: TcpStream, request: &str) -> io::Result<()> {
    let mut out = BufWriter::new(&stream);
    out.write_all(b"Hello.\n")?;
    match request {
        "panic" => panic!("handler panicked mid-response"),
        "err" => return Err(io::Error::new(io::ErrorKind::Other, "handler failed")),
        _ => {}
    }
    out.write_all(b"We are done!\n")?;
    out.flush()?;
    drop(out);
    stream.shutdown(Shutdown::Both)?;
    Ok(())
}

fn handle_borrowed(stream: &TcpStream) {
    let mut out = BufWriter::new(stream);
    out.write_all(b"Hello.\n").unwrap();
    panic!("handler panicked, the caller keeps the stream");
}

// Dropped while the handler unwinds: tells the main thread, waits for it.
struct Pause {
    unwinding: mpsc::Sender<()>,
    go: mpsc::Receiver<()>,
}

impl Drop for Pause {
    fn drop(&mut self) {
        if thread::panicking() {
            self.unwinding.send(()).unwrap();
            self.go.recv().unwrap();
        }
    }
}

fn handle_hold(stream: TcpStream, pause: Pause) -> io::Result<()> {
    let mut out = BufWriter::new(&stream);
    let _pause = pause; // dropped first, then out, then stream
    out.write_all(b"Hello.\n")?;
    out.flush()?;
    panic!("handler panicked while the main thread serves");
}

fn report(request: &str, verdict: &str) {
    println!("DONE {} {}", request, verdict);
    io::stdout().flush().unwrap();
}

fn serve_catch(listener: TcpListener) {
    for conn in listener.incoming() {
        let stream = conn.unwrap();
        let request = read_request(&stream).unwrap();
        if request == "panic-after" {
            let r = panic::catch_unwind(AssertUnwindSafe(|| handle_borrowed(&stream)));
            let mut s = &stream;
            s.write_all(b"Recovered.\n").unwrap();
            drop(stream); // after catch_unwind returned: a normal drop
            report(&request, if r.is_err() { "panicked" } else { "ok" });
            continue;
        }
        if request == "panic-inline" {
            let r = panic::catch_unwind(AssertUnwindSafe(move || {
                let mut out = BufWriter::new(&stream);
                out.write_all(b"Hello.\n").unwrap();
                out.flush().unwrap();
                panic!("panicked in the closure itself");
            }));
            report(&request, if r.is_err() { "panicked" } else { "ok" });
            continue;
        }
        let r = panic::catch_unwind(AssertUnwindSafe(|| handle(stream, &request)));
        let verdict = match r {
            Ok(Ok(())) => "ok",
            Ok(Err(_)) => "err",
            Err(_) => "panicked",
        };
        report(&request, verdict);
    }
}

fn serve_thread(listener: TcpListener) {
    for conn in listener.incoming() {
        let stream = conn.unwrap();
        let request = read_request(&stream).unwrap();
        if request == "hold" {
            let (unwinding_tx, unwinding_rx) = mpsc::channel();
            let (go_tx, go_rx) = mpsc::channel();
            let pause = Pause { unwinding: unwinding_tx, go: go_rx };
            let worker = thread::spawn(move || handle_hold(stream, pause));
            unwinding_rx.recv().unwrap();
            println!("UNWINDING");
            io::stdout().flush().unwrap();
            let (other, _) = listener.accept().unwrap();
            let other_request = read_request(&other).unwrap();
            (&other).write_all(b"Hello.\nWe are done!\n").unwrap();
            drop(other); // a plain close on this thread, while the worker unwinds
            report(&other_request, "ok");
            go_tx.send(()).unwrap();
            let verdict = if worker.join().is_err() { "panicked" } else { "ok" };
            report(&request, verdict);
            continue;
        }
        let keep = if request == "panic-after" { Some(stream.try_clone().unwrap()) } else { None };
        let req = if request == "panic-after" { "panic".to_string() } else { request.clone() };
        let worker = thread::spawn(move || handle(stream, &req));
        let verdict = match worker.join() {
            Ok(Ok(())) => "ok",
            Ok(Err(_)) => "err",
            Err(_) => "panicked",
        };
        if let Some(mut s) = keep {
            s.write_all(b"Joined.\n").unwrap();
            drop(s); // after the join: a normal drop
        }
        report(&request, verdict);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: rust_server catch|thread PORT");
        std::process::exit(2);
    }
    let listener = TcpListener::bind(("127.0.0.1", args[2].parse::<u16>().unwrap())).unwrap();
    println!("READY {}", args[2]);
    io::stdout().flush().unwrap();
    match args[1].as_str() {
        "catch" => serve_catch(listener),
        "thread" => serve_thread(listener),
        _ => std::process::exit(2),
    }
}
