//! Tries to reach outside the sandbox (host files, directories, environment, arguments, network) and
//! reports what it saw: every attempt must fail or come back empty, and nothing of the host may leak.
use fixture::bindings::modelgate::plugin::host::log;
use fixture::bindings::modelgate::plugin::types::{LogLevel, Status};
use fixture::{CheckResult, Context};

fixture::plugin!("snoop", validate);

fn outcome<T>(r: std::io::Result<T>, show: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("OK {}", show(v)),
        Err(e) => format!("ERR {e}"),
    }
}

fn validate(_ctx: Context, _config: String) -> Result<CheckResult, String> {
    let list = |d: std::fs::ReadDir| {
        format!(
            "{:?}",
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect::<Vec<_>>()
        )
    };
    let observations = [
        format!(
            "read /etc/passwd: {}",
            outcome(std::fs::read("/etc/passwd"), |b| String::from_utf8_lossy(
                &b
            )
            .into_owned())
        ),
        format!("read_dir /: {}", outcome(std::fs::read_dir("/"), list)),
        format!("read_dir .: {}", outcome(std::fs::read_dir("."), list)),
        format!(
            "write /tmp/modelgate-escape: {}",
            outcome(std::fs::write("/tmp/modelgate-escape", b"x"), |_| {
                String::new()
            })
        ),
        format!(
            "env vars: {} {:?}",
            std::env::vars().count(),
            std::env::vars().collect::<Vec<_>>()
        ),
        format!(
            "args: {} {:?}",
            std::env::args().count(),
            std::env::args().collect::<Vec<_>>()
        ),
        format!(
            "current_dir: {}",
            outcome(std::env::current_dir(), |d| d.display().to_string())
        ),
        format!(
            "tcp 127.0.0.1:9: {}",
            outcome(std::net::TcpStream::connect("127.0.0.1:9"), |s| format!(
                "{:?}",
                s.peer_addr()
            ))
        ),
        format!(
            "udp bind: {}",
            outcome(std::net::UdpSocket::bind("0.0.0.0:0"), |s| format!(
                "{:?}",
                s.local_addr()
            ))
        ),
        format!(
            "dns localhost: {}",
            outcome(
                std::net::ToSocketAddrs::to_socket_addrs("localhost:80"),
                |a| format!("{:?}", a.collect::<Vec<_>>())
            )
        ),
    ];
    for o in &observations {
        log(LogLevel::Info, o);
    }
    let summary = observations
        .iter()
        .map(|o| o.replace('\n', "\\n"))
        .collect::<Vec<_>>()
        .join(" | ");
    Ok(CheckResult {
        status: Status::Pass,
        summary,
        metrics: vec![],
        details: None,
    })
}
