//! An SMTP server for tests: enough of RFC 5321 to take mail (EHLO or
//! HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) in plain text on a
//! loopback port, handing every message it accepts to the test. It offers
//! no extensions, STARTTLS included. The adapter's own tests and the
//! end-to-end suite (through feature `test-sink`) both send to it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long a test waits for a message it sent.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(10);

/// One accepted message: the envelope and the bytes after DATA.
#[derive(Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub struct Sink {
    pub addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Received>,
}

impl Sink {
    /// Listens on a free loopback port until the test ends.
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let (deliver, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let deliver = deliver.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-conversation is the
                    // client's failure, which the test sees on its side.
                    let _ = converse(stream, deliver).await;
                });
            }
        });
        Sink { addr, received }
    }

    /// The next message accepted.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(DELIVERY_DEADLINE, self.received.recv())
            .await
            .expect("a message within the deadline")
            .expect("the sink is running")
    }

    pub fn has_received_nothing(&mut self) -> bool {
        self.received.try_recv().is_err()
    }
}

#[derive(Debug, Default)]
struct Envelope {
    mail_from: String,
    rcpt_to: Vec<String>,
}

async fn converse(stream: TcpStream, deliver: mpsc::UnboundedSender<Received>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" | "RSET" => {
                envelope = Envelope::default();
                b"250 sink.test\r\n"
            }
            "MAIL" => {
                envelope.mail_from = address_in(&command);
                b"250 sender ok\r\n"
            }
            "RCPT" => {
                envelope.rcpt_to.push(address_in(&command));
                b"250 recipient ok\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(&mut read).await?;
                let Envelope { mail_from, rcpt_to } = std::mem::take(&mut envelope);
                let _ = deliver.send(Received { mail_from, rcpt_to, data });
                b"250 queued\r\n"
            }
            "NOOP" => b"250 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address between `<` and `>` of `MAIL FROM:<…>` or `RCPT TO:<…>`.
fn address_in(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

/// The message up to the line holding a single dot, with the dot-stuffing
/// of RFC 5321 §4.5.2 undone.
async fn read_data(read: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let unstuffed = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        data.extend_from_slice(unstuffed);
    }
}

/// A server that takes connections and never says a word.
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A loopback port nothing listens on any more: the listener is dropped on
/// return, so connections to it are refused.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    listener.local_addr().expect("bound address")
}
