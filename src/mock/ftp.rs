//! A small FTP server (RFC 959 with PASV/EPSV, RFC 3659 SIZE) over a real folder, for the mock's
//! FutureShop2 order exports. It speaks to any FTP client; juchu's adapter uses suppaftp.
//! Binary transfers only; TLS (AUTH TLS) is refused with 534, so a mall configured for FTPS against
//! the mock fails loudly rather than silently sending in clear.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a session may do, decided by the mock: who may log in, when a transfer fails, what to do
/// at login (the mock writes the exports that are due).
pub trait FtpPolicy: Send + Sync {
    fn login(&self, user: &str, password: &str) -> bool;
    /// Called after a successful login, before any command: the folder is brought up to date.
    fn on_login(&self, root: &Path);
    /// Whether this transfer fails (fault injection).
    fn transfer_fails(&self) -> bool;
    /// Called once a file is in place (after a STOR, or after a rename onto its name), with its path
    /// relative to the root. False: close the control connection without the final reply (the
    /// client cannot tell whether the file arrived).
    fn on_stored(&self, _root: &Path, _rel: &str) -> bool {
        true
    }
}

pub struct FtpServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FtpServer {
    pub fn start(listen: &str, root: PathBuf, policy: Arc<dyn FtpPolicy>) -> std::io::Result<FtpServer> {
        std::fs::create_dir_all(&root)?;
        let root = root.canonicalize()?;
        let listener = TcpListener::bind(listen)?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let (root, policy) = (root.clone(), policy.clone());
                    std::thread::spawn(move || {
                        let _ = Session::new(conn, root, policy).map(|mut s| s.run());
                    });
                }
            }
        });
        Ok(FtpServer { port, stop, thread: Some(thread) })
    }
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    root: PathBuf,
    policy: Arc<dyn FtpPolicy>,
    /// The working folder, relative to the root, `/`-separated, no leading slash.
    cwd: String,
    user: Option<String>,
    logged_in: bool,
    passive: Option<TcpListener>,
    rename_from: Option<PathBuf>,
}

impl Session {
    fn new(conn: TcpStream, root: PathBuf, policy: Arc<dyn FtpPolicy>) -> std::io::Result<Session> {
        conn.set_nodelay(true)?;
        conn.set_read_timeout(Some(Duration::from_secs(60)))?;
        let writer = conn.try_clone()?;
        Ok(Session {
            reader: BufReader::new(conn),
            writer,
            root,
            policy,
            cwd: String::new(),
            user: None,
            logged_in: false,
            passive: None,
            rename_from: None,
        })
    }

    fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(format!("{text}\r\n").as_bytes())
    }

    fn run(&mut self) -> std::io::Result<()> {
        self.reply("220 juchu mock mall FTP ready")?;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end_matches(['\r', '\n']);
            let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
            let cmd = cmd.to_ascii_uppercase();
            if cmd == "QUIT" {
                return self.reply("221 Goodbye");
            }
            self.command(&cmd, arg)?;
        }
    }

    fn command(&mut self, cmd: &str, arg: &str) -> std::io::Result<()> {
        match cmd {
            "USER" => {
                self.user = Some(arg.to_string());
                self.logged_in = false;
                return self.reply("331 Password required");
            }
            "PASS" => {
                let ok = self.user.as_deref().is_some_and(|u| self.policy.login(u, arg));
                if !ok {
                    return self.reply("530 Login incorrect");
                }
                self.logged_in = true;
                self.policy.on_login(&self.root);
                return self.reply("230 Logged in");
            }
            "AUTH" => return self.reply("534 TLS is not offered by the mock mall"),
            "SYST" => return self.reply("215 UNIX Type: L8"),
            "FEAT" => return self.reply("211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n UTF8\r\n211 End"),
            "NOOP" => return self.reply("200 OK"),
            _ if !self.logged_in => return self.reply("530 Please login with USER and PASS"),
            _ => {}
        }
        match cmd {
            "OPTS" | "MODE" | "STRU" => self.reply("200 OK"),
            "TYPE" => self.reply("200 Type set"),
            "PWD" | "XPWD" => {
                let cwd = format!("/{}", self.cwd);
                self.reply(&format!("257 \"{cwd}\" is the current directory"))
            }
            "CWD" | "XCWD" => match self.resolve(arg) {
                Some((rel, path)) if path.is_dir() => {
                    self.cwd = rel;
                    self.reply("250 Directory changed")
                }
                _ => self.reply("550 No such directory"),
            },
            "CDUP" => {
                self.cwd = self.cwd.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
                self.reply("250 Directory changed")
            }
            "PASV" => {
                let l = TcpListener::bind("127.0.0.1:0")?;
                let port = l.local_addr()?.port();
                self.passive = Some(l);
                self.reply(&format!("227 Entering Passive Mode (127,0,0,1,{},{})", port >> 8, port & 0xff))
            }
            "EPSV" => {
                let l = TcpListener::bind("127.0.0.1:0")?;
                let port = l.local_addr()?.port();
                self.passive = Some(l);
                self.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))
            }
            "NLST" | "LIST" => {
                let target = if arg.starts_with('-') || arg.is_empty() { "." } else { arg };
                let Some((_, dir)) = self.resolve(target).filter(|(_, p)| p.is_dir()) else {
                    return self.reply("550 No such directory");
                };
                let mut names: Vec<(String, u64, bool)> = std::fs::read_dir(&dir)?
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_str()?.to_string();
                        let meta = e.metadata().ok()?;
                        (!name.starts_with('.')).then_some((name, meta.len(), meta.is_dir()))
                    })
                    .collect();
                names.sort();
                let listing: String = names
                    .iter()
                    .map(|(n, size, is_dir)| {
                        if cmd == "NLST" {
                            format!("{n}\r\n")
                        } else {
                            let kind = if *is_dir { 'd' } else { '-' };
                            format!("{kind}rw-r--r-- 1 mall mall {size:>10} Jan  1 00:00 {n}\r\n")
                        }
                    })
                    .collect();
                self.send(listing.as_bytes())
            }
            "RETR" => match self.resolve(arg).filter(|(_, p)| p.is_file()) {
                Some((_, path)) if !self.policy.transfer_fails() => {
                    let bytes = std::fs::read(path)?;
                    self.send(&bytes)
                }
                Some(_) => {
                    self.passive = None;
                    self.reply("451 Requested action aborted: local error in processing")
                }
                None => self.reply("550 No such file"),
            },
            "STOR" => {
                let Some((rel, path)) = self.resolve(arg) else {
                    return self.reply("553 File name not allowed");
                };
                let Some(mut data) = self.open_data()? else { return Ok(()) };
                let mut bytes = Vec::new();
                data.read_to_end(&mut bytes)?;
                drop(data);
                if std::fs::write(path, bytes).is_err() {
                    return self.reply("553 Cannot store the file there");
                }
                if !self.policy.on_stored(&self.root, &rel) {
                    return Err(std::io::Error::other("the answer to STOR is dropped (fault injection)"));
                }
                self.reply("226 Transfer complete")
            }
            "SIZE" => match self.resolve(arg).filter(|(_, p)| p.is_file()) {
                Some((_, path)) => {
                    let len = std::fs::metadata(path)?.len();
                    self.reply(&format!("213 {len}"))
                }
                None => self.reply("550 No such file"),
            },
            "MKD" | "XMKD" => match self.resolve(arg) {
                Some((rel, path)) if !path.exists() && std::fs::create_dir(&path).is_ok() => self.reply(&format!("257 \"/{rel}\" created")),
                _ => self.reply("550 Cannot create the directory"),
            },
            "DELE" => match self.resolve(arg).filter(|(_, p)| p.is_file()) {
                Some((_, path)) if std::fs::remove_file(&path).is_ok() => self.reply("250 Deleted"),
                _ => self.reply("550 No such file"),
            },
            "RNFR" => match self.resolve(arg).filter(|(_, p)| p.exists()) {
                Some((_, path)) => {
                    self.rename_from = Some(path);
                    self.reply("350 Ready for RNTO")
                }
                None => self.reply("550 No such file"),
            },
            "RNTO" => match (self.rename_from.take(), self.resolve(arg)) {
                (Some(from), Some((rel, to))) if !to.exists() && std::fs::rename(&from, &to).is_ok() => {
                    if !self.policy.on_stored(&self.root, &rel) {
                        return Err(std::io::Error::other("the answer to RNTO is dropped (fault injection)"));
                    }
                    self.reply("250 Renamed")
                }
                (None, _) => self.reply("503 RNFR first"),
                _ => self.reply("553 Cannot rename to that name"),
            },
            _ => self.reply("502 Command not implemented"),
        }
    }

    /// A client path (absolute or relative to the working folder) inside the root, or None if it
    /// would leave it.
    fn resolve(&self, arg: &str) -> Option<(String, PathBuf)> {
        let mut parts: Vec<String> =
            if arg.starts_with('/') { Vec::new() } else { self.cwd.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect() };
        for c in Path::new(arg).components() {
            match c {
                Component::Normal(s) => parts.push(s.to_str()?.to_string()),
                Component::ParentDir => {
                    parts.pop()?;
                }
                Component::CurDir | Component::RootDir => {}
                Component::Prefix(_) => return None,
            }
        }
        let rel = parts.join("/");
        Some((rel.clone(), if rel.is_empty() { self.root.clone() } else { self.root.join(&rel) }))
    }

    /// Accepts the client's data connection after a 150 (or answers 425 without PASV/EPSV).
    fn open_data(&mut self) -> std::io::Result<Option<TcpStream>> {
        let Some(listener) = self.passive.take() else {
            self.reply("425 Use PASV or EPSV first")?;
            return Ok(None);
        };
        self.reply("150 Opening BINARY mode data connection")?;
        listener.set_nonblocking(false)?;
        let (conn, _) = listener.accept()?;
        conn.set_write_timeout(Some(Duration::from_secs(30)))?;
        Ok(Some(conn))
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let Some(mut data) = self.open_data()? else { return Ok(()) };
        data.write_all(bytes)?;
        drop(data);
        self.reply("226 Transfer complete")
    }
}
