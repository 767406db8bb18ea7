//! ACL SAVE when the disk says no: permission denied, an immutable
//! directory, a read-only file system, a full file system. Each time the
//! client gets Redis's error, the old aclfile is untouched and no
//! temporary file is left behind; once the fault is gone, SAVE works.
//!
//! The faults are real: a process without CAP_DAC_OVERRIDE (tests run as
//! root, which writes anywhere otherwise), `chattr +i`, and a small tmpfs
//! mounted for the test (remounted read-only, or filled up). Where the
//! machine does not allow one of them (not root, no mount), that test
//! prints `SKIPPED: ...` and passes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const SAVE_ERROR: &str = "ERR There was an error trying to save the ACLs. Please check the server logs for more information";
const ORIGINAL: &str = "user alice on #2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90 ~app:* resetchannels -@all +get\n";

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    _parent: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("fs");
        std::fs::create_dir(&path).unwrap();
        let options = format!("size={size},mode=0755");
        if !succeeds(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &options,
                "tmpfs",
                path.to_str().unwrap(),
            ],
        ) {
            println!("SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
            return None;
        }
        Some(Tmpfs {
            _parent: parent,
            path,
        })
    }

    fn remount(&self, mode: &str) {
        let options = format!("remount,{mode}");
        assert!(succeeds(
            "mount",
            &["-o", &options, self.path.to_str().unwrap()]
        ));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// A server whose aclfile is `dir/users.acl`, holding [`ORIGINAL`], with a
/// change not saved yet.
fn server_with_unsaved_change(binary: &Path, dir: &Path) -> (moat_testkit::ServerProcess, PathBuf) {
    let aclfile = dir.join("users.acl");
    std::fs::write(&aclfile, ORIGINAL).unwrap();
    let server = moat_testkit::ServerBuilder::new(binary)
        .args(["--aclfile", aclfile.to_str().unwrap()])
        .start()
        .unwrap();
    ok(
        &mut server.client().unwrap(),
        &["ACL", "SETUSER", "bob", "on", ">bobpw", "+@all"],
    );
    (server, aclfile)
}

/// SAVE fails with Redis's error, leaves the file and the directory as they were.
fn assert_save_fails_cleanly(server: &moat_testkit::ServerProcess, aclfile: &Path, log_line: &str) {
    let mut client = server.client().unwrap();
    assert_eq!(error(&mut client, &["ACL", "SAVE"]), SAVE_ERROR);
    assert_eq!(std::fs::read_to_string(aclfile).unwrap(), ORIGINAL);
    assert_eq!(temp_files(aclfile.parent().unwrap()), Vec::<String>::new());
    assert!(server.log().contains(log_line), "{}", server.log());
    // The server keeps its users.
    assert_eq!(acl_list(&mut client).len(), 3);
}

fn assert_save_works(server: &moat_testkit::ServerProcess, aclfile: &Path) {
    ok(&mut server.client().unwrap(), &["ACL", "SAVE"]);
    let saved = std::fs::read_to_string(aclfile).unwrap();
    assert!(saved.contains("user bob on"), "{saved}");
    assert_eq!(temp_files(aclfile.parent().unwrap()), Vec::<String>::new());
}

#[test]
fn save_without_write_permission() {
    if !succeeds("setpriv", &["--bounding-set", "-dac_override", "true"]) {
        println!("SKIPPED: setpriv cannot drop CAP_DAC_OVERRIDE here");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // moat without the capability that lets root ignore file modes.
    let wrapper = work.path().join("moat-without-dac-override");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec setpriv --bounding-set -dac_override,-dac_read_search {} \"$@\"\n",
            binary().display()
        ),
    )
    .unwrap();
    set_mode(&wrapper, 0o755);
    let dir = work.path().join("acl");
    std::fs::create_dir(&dir).unwrap();
    let (server, aclfile) = server_with_unsaved_change(&wrapper, &dir);
    set_mode(&dir, 0o555);
    assert_save_fails_cleanly(
        &server,
        &aclfile,
        "Opening temp ACL file for ACL SAVE: Permission denied",
    );
    set_mode(&dir, 0o755);
    assert_save_works(&server, &aclfile);
}

#[test]
fn save_into_an_immutable_directory() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("acl");
    std::fs::create_dir(&dir).unwrap();
    let (server, aclfile) = server_with_unsaved_change(&binary(), &dir);
    if !succeeds("chattr", &["+i", dir.to_str().unwrap()]) {
        println!("SKIPPED: chattr +i is not possible here");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        assert_save_fails_cleanly(
            &server,
            &aclfile,
            "Opening temp ACL file for ACL SAVE: Operation not permitted",
        )
    });
    assert!(succeeds("chattr", &["-i", dir.to_str().unwrap()]));
    result.unwrap();
    assert_save_works(&server, &aclfile);
}

#[test]
fn save_on_a_read_only_file_system() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let (server, aclfile) = server_with_unsaved_change(&binary(), &fs.path);
    fs.remount("ro");
    assert_save_fails_cleanly(
        &server,
        &aclfile,
        "Opening temp ACL file for ACL SAVE: Read-only file system",
    );
    fs.remount("rw");
    assert_save_works(&server, &aclfile);
}

#[test]
fn save_on_a_full_file_system() {
    let Some(fs) = Tmpfs::mount("256k") else {
        return;
    };
    let (server, aclfile) = server_with_unsaved_change(&binary(), &fs.path);
    // Fill every block; the aclfile's own block stays allocated.
    let filler = fs.path.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![b'x'; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.flush();
    }
    assert_save_fails_cleanly(
        &server,
        &aclfile,
        "Writing ACL file for ACL SAVE: No space left on device",
    );
    std::fs::remove_file(&filler).unwrap();
    assert_save_works(&server, &aclfile);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// CONFIG REWRITE goes through the same atomic replacement: on a
/// read-only file system it fails with Redis's error and the config file
/// keeps its plaintext line until the rewrite can happen.
#[test]
fn config_rewrite_on_a_read_only_file_system() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let conf = fs.path.join("redis.conf");
    let original =
        "# mine\nuser default on nopass ~* &* +@all\nuser app on >AppPassword ~app:* +@read\n";
    std::fs::write(&conf, original).unwrap();
    let server = moat().config_file(&conf).start().unwrap();
    let mut client = server.client().unwrap();
    fs.remount("ro");
    assert_eq!(
        error(&mut client, &["CONFIG", "REWRITE"]),
        "ERR Rewriting config file: Read-only file system"
    );
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), original);
    assert!(
        server
            .log()
            .contains("CONFIG REWRITE failed: Read-only file system"),
        "{}",
        server.log()
    );
    fs.remount("rw");
    ok(&mut client, &["CONFIG", "REWRITE"]);
    let rewritten = std::fs::read_to_string(&conf).unwrap();
    assert!(!rewritten.contains("AppPassword"), "{rewritten}");
    assert!(
        rewritten.contains(&format!(
            "user app on sanitize-payload #{}",
            sha256_hex("AppPassword")
        )),
        "{rewritten}"
    );
    assert_eq!(temp_files(&fs.path), Vec::<String>::new());
}
