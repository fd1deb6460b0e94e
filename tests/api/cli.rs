//! The command line, run as a user would: the real binary.

use std::process::Command;

use crate::helpers::spawn_app;

fn greenroom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_greenroom"))
}

#[actix_web::test]
async fn staff_token_create_prints_a_working_token_on_the_last_line() {
    let app = spawn_app().await;
    let out = greenroom()
        .args([
            "staff-token",
            "create",
            "--role",
            "admin",
            "--database-url",
            &app.database_url,
        ])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("grs_") && token.len() > 40, "{stdout}");
    let r = app
        .post_as(
            &token,
            "/api/v1/producers",
            &crate::helpers::producer(
                "Cli",
                "UTC",
                &["en"],
                crate::helpers::weekdays("09:00", "17:00"),
            ),
        )
        .await;
    assert_eq!(r.status, 201);
    // Scheduler tokens are refused admin work.
    let out = greenroom()
        .args([
            "staff-token",
            "create",
            "--role",
            "scheduler",
            "--database-url",
            &app.database_url,
        ])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    let r = app
        .post_as(
            &token,
            "/api/v1/producers",
            &crate::helpers::producer(
                "Cli",
                "UTC",
                &["en"],
                crate::helpers::weekdays("09:00", "17:00"),
            ),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[test]
fn unreachable_database_is_a_clear_error_and_nonzero_exit() {
    let out = greenroom()
        .args([
            "migrate",
            "--database-url",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(
        !stderr.contains("secret"),
        "the password is not shown: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_settings_are_clear_errors() {
    let out = greenroom()
        .args(["migrate", "--database-url", "mysql://h/db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a supported database"));
    let out = greenroom()
        .args(["staff-token", "create", "--role", "owner"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let dir = std::env::temp_dir().join(format!("greenroom-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = greenroom()
        .current_dir(&dir)
        .args([
            "serve",
            "--bind",
            "not-an-address",
            "--database-url",
            "sqlite://cli.db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind: 'not-an-address' needs a port"));
    let out = greenroom()
        .current_dir(&dir)
        .args([
            "serve",
            "--bind",
            "256.0.0.1:80",
            "--database-url",
            "sqlite://cli.db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on 256.0.0.1:80"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = std::env::temp_dir().join(format!("greenroom-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/m.db", dir.display());
    let first = greenroom()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    let second = greenroom()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn help_lists_every_command_and_setting() {
    let out = greenroom().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "staff-token", "erase", "--log-format"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let out = greenroom().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--bind",
        "--database-url",
        "--outbox-dir",
        "--smtp-url",
        "--no-demo-roster",
        "--config",
        "--email-from",
        "--email-templates-dir",
        "--public-url",
        "--cors-origin",
        "--trust-forwarded",
        "--pool-size",
        "--workers",
        "--failed-attempts-per-minute",
        "--outbox-retry-base-ms",
        "--outbox-lease-seconds",
        "--orders-per-address-per-hour",
        "--booking-horizon-days",
        "--retention-months",
        "GREENROOM_BIND",
        "DATABASE_URL",
        "GREENROOM_OUTBOX_DIR",
        "GREENROOM_SMTP_URL",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let out = greenroom()
        .args(["staff-token", "create", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("--role"));
    // The load tool is a client, not a command of the service.
    assert!(!help.contains("loadtest"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_greenroom-loadtest"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("--concurrency"));
}

/// Serve briefly from a folder, with a config file, environment and flags; return the
/// address it listened on (read from its log) or its error.
fn serve_with(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<String, String> {
    use std::io::{BufRead, BufReader};
    let mut cmd = greenroom();
    cmd.current_dir(dir)
        .arg("serve")
        .args(args)
        .env_remove("GREENROOM_BIND")
        .env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = vec![];
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("greenroom listening") {
            let _ = child.kill();
            let _ = child.wait();
            let at = line
                .split("address=")
                .nth(1)
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            return Ok(at);
        }
        lines.push(line);
    }
    let status = child.wait().unwrap();
    assert!(!status.success());
    Err(lines.join("\n"))
}

#[test]
fn flags_beat_environment_beat_the_config_file() {
    let dir = std::env::temp_dir().join(format!(
        "greenroom-config-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let port = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (a, b, c) = (port(()), port(()), port(()));
    std::fs::write(
        dir.join("greenroom.toml"),
        format!(
            "bind = \"127.0.0.1:{a}\"\ndatabase_url = \"sqlite://cfg.db\"\ndemo_roster = false\n"
        ),
    )
    .unwrap();
    let from_file = serve_with(&dir, &["--config", "greenroom.toml"], &[]).unwrap();
    assert_eq!(from_file, format!("127.0.0.1:{a}"));
    assert!(dir.join("cfg.db").exists(), "the file's database was used");
    let bind_b = format!("127.0.0.1:{b}");
    let from_env = serve_with(
        &dir,
        &["--config", "greenroom.toml"],
        &[("GREENROOM_BIND", &bind_b)],
    )
    .unwrap();
    assert_eq!(from_env, bind_b);
    let bind_c = format!("127.0.0.1:{c}");
    let from_flag = serve_with(
        &dir,
        &["--config", "greenroom.toml", "--bind", &bind_c],
        &[("GREENROOM_BIND", &bind_b)],
    )
    .unwrap();
    assert_eq!(from_flag, bind_c);
    // Mistakes are named.
    std::fs::write(dir.join("bad.toml"), "bnid = \"127.0.0.1:1\"\n").unwrap();
    let err = serve_with(&dir, &["--config", "bad.toml"], &[]).unwrap_err();
    assert!(
        err.contains("unknown field") && err.contains("bnid"),
        "{err}"
    );
    let err = serve_with(&dir, &["--config", "missing.toml"], &[]).unwrap_err();
    assert!(err.contains("--config: cannot read"), "{err}");
    let err = serve_with(
        &dir,
        &[
            "--email-from",
            "not a mailbox",
            "--database-url",
            "sqlite://cfg.db",
        ],
        &[],
    )
    .unwrap_err();
    assert!(err.contains("--email-from"), "{err}");
    let err = serve_with(
        &dir,
        &[
            "--cors-origin",
            "https://app.example/path",
            "--database-url",
            "sqlite://cfg.db",
        ],
        &[],
    )
    .unwrap_err();
    assert!(err.contains("--cors-origin"), "{err}");
    let err = serve_with(
        &dir,
        &[
            "--smtp-url",
            "ftp://mail",
            "--database-url",
            "sqlite://cfg.db",
        ],
        &[],
    )
    .unwrap_err();
    assert!(err.contains("--smtp-url"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Instances that start together on a new database migrate it once, without failing.
#[test]
fn instances_starting_together_migrate_once() {
    let (_db, url) = crate::helpers::TestDb::create();
    let children: Vec<_> = (0..4)
        .map(|_| {
            greenroom()
                .args(["migrate", "--database-url", &url])
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let applied = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stdout).contains("applied"))
        .count();
    assert_eq!(applied, 1, "exactly one process applies the migrations");
}

/// Every knob is a setting; a bad value of any of them, from a flag, the environment or
/// the file, stops the start with one line naming it.
#[test]
fn a_bad_value_of_any_setting_is_one_line_naming_it() {
    let dir = std::env::temp_dir().join(format!("greenroom-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.toml"), "pool_size = \"many\"\n").unwrap();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (&["--config", "bad.toml"], &[], "--pool-size"),
        (
            &[],
            &[("GREENROOM_ORDERS_PER_ADDRESS_PER_HOUR", "lots")],
            "--orders-per-address-per-hour",
        ),
        (&["--outbox-poll-ms", "1"], &[], "--outbox-poll-ms"),
        (
            &["--outbox-lease-seconds", "0"],
            &[],
            "--outbox-lease-seconds",
        ),
        (
            &[],
            &[("GREENROOM_FAILED_ATTEMPTS_PER_MINUTE", "0")],
            "--failed-attempts-per-minute",
        ),
    ];
    for (args, env, named) in cases {
        let mut cmd = greenroom();
        cmd.current_dir(&dir)
            .arg("serve")
            .args(args)
            .args(["--database-url", "sqlite://bad.db"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains(named), "{named} not named in: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The load tool, driven for a second of orders against a running service, builds its
/// roster, books, finds no overlapping assignment, and waits for the outbox to empty to
/// check that every e-mail the orders queued was sent, and sent once. (Starts before the
/// test clock's lead time are refused, as the service should.)
#[actix_web::test]
async fn the_load_tool_checks_every_email_sent_once() {
    let app = spawn_app().await;
    let (url, token) = (app.address.clone(), app.admin.clone());
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_greenroom-loadtest"))
            .args(["--url", &url, "--token", &token])
            .args(["--concurrency", "4", "--duration", "1"])
            .args(["--producers", "5", "--mix", "orders"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}\n{stderr}");
    assert!(
        report.contains("overlapping assignments found afterwards: 0"),
        "{report}"
    );
    let line = report
        .lines()
        .find(|l| l.starts_with("e-mails sent during and after the run: "))
        .unwrap_or_else(|| panic!("no e-mail line in:\n{report}"));
    let sent: u64 = line
        .trim_start_matches("e-mails sent during and after the run: ")
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let confirmed: u64 = report
        .split("orders confirmed: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no order count in:\n{report}"));
    assert!(confirmed > 0, "{report}");
    assert_eq!(
        sent,
        2 * confirmed,
        "a confirmation and the producer's notice each: {line}"
    );
    assert!(
        line.ends_with("sent twice: 0; failed: 0; still pending: 0"),
        "{line}"
    );
}
