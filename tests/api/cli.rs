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
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on not-an-address"));
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
