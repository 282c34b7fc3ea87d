//! Unit tests of `app::outdir`: the lock, staging and publishing.
#![allow(clippy::unwrap_used)]
use super::*;

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn stage_file(dir: &OutDir, rel: &str, text: &str) {
    let p = dir.stage().join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

#[test]
fn publish_moves_the_stage_in_marker_last_and_removes_the_previous_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    stage_file(&d, "summary.csv", "a");
    stage_file(&d, "deltas.csv", "d");
    stage_file(&d, "plots/x.png", "p");
    stage_file(&d, "manifest.json", r#"{"files":["summary.csv","deltas.csv","plots/x.png"]}"#);
    let published = d.publish("manifest.json").unwrap();
    assert_eq!(published.last().unwrap(), &out.join("manifest.json"));
    assert!(!out.join(WORK_DIR).exists(), "work directory removed");
    assert_eq!(entries(&out), ["deltas.csv", "manifest.json", "plots", "summary.csv"]);
    fs::write(out.join("plots/mine.png"), "user's").unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();

    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    stage_file(&d, "summary.csv", "b");
    stage_file(&d, "manifest.json", r#"{"files":["summary.csv"]}"#);
    d.publish("manifest.json").unwrap();
    assert_eq!(entries(&out), ["manifest.json", "notes.txt", "plots", "summary.csv"], "stale deltas and charts gone");
    assert_eq!(entries(&out.join("plots")), ["mine.png"], "a file no marker listed is kept");
    assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "b");
}

#[test]
fn a_failed_job_leaves_the_previous_result_and_no_new_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b/res");
    {
        let mut d = OutDir::lock(&out).unwrap();
        d.fresh_stage().unwrap();
        stage_file(&d, "summary.csv", "a");
    }
    assert_eq!(entries(tmp.path()), Vec::<String>::new(), "created directories removed again");
    let out = tmp.path().join("res");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("manifest.json"), "{}").unwrap();
    {
        let mut d = OutDir::lock(&out).unwrap();
        d.fresh_stage().unwrap();
        stage_file(&d, "summary.csv", "a");
    }
    assert_eq!(entries(tmp.path()), ["res"]);
    assert_eq!(entries(&out), ["manifest.json"], "the work directory is removed");
}

#[test]
fn a_second_writer_is_refused_naming_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let first = OutDir::lock(&out).unwrap();
    // flock locks belong to the open file description: a second open in this process
    // conflicts just as another process would.
    let err = OutDir::lock(&out).unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    let text = err.to_string();
    assert!(text.contains("is being written by") && text.contains(&format!("pid {}", std::process::id())), "{text}");
    drop(first);
    drop(OutDir::lock(&out).unwrap());
}

#[test]
fn a_stale_lock_of_a_dead_process_is_broken_another_hosts_never() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let work = out.join(WORK_DIR);
    fs::create_dir_all(work.join(STAGE_DIR)).unwrap();
    fs::write(work.join(STAGE_DIR).join("junk"), "x").unwrap();
    // A pid above the kernel's maximum is never alive.
    let dead = Holder { host: host_name(), pid: u32::MAX - 1, command: vec!["zeromile".into()], since_unix_s: 1 };
    fs::write(work.join(LOCK_FILE), serde_json::to_string(&dead).unwrap()).unwrap();
    fs::write(out.join(format!(".summary.csv.partial-{}", u32::MAX - 1)), "torn").unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    assert_eq!(d.broken_lock(), Some(&dead));
    assert_eq!(entries(&out), [WORK_DIR], "dead writer's partial file removed");
    d.fresh_stage().unwrap();
    assert!(entries(d.stage()).is_empty(), "stale stage removed");
    drop(d);
    assert!(entries(&out).is_empty());

    fs::create_dir_all(&work).unwrap();
    let other = Holder { host: format!("not-{}", host_name()), ..dead };
    fs::write(work.join(LOCK_FILE), serde_json::to_string(&other).unwrap()).unwrap();
    let err = OutDir::lock(&out).unwrap_err().to_string();
    assert!(err.contains("never broken") && err.contains("remove"), "{err}");
}

#[test]
fn stage_existing_links_the_listed_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("summary.csv"), "s").unwrap();
    fs::write(out.join("mine.txt"), "m").unwrap();
    fs::write(out.join("manifest.json"), r#"{"files":["summary.csv"]}"#).unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    d.stage_existing("manifest.json").unwrap();
    assert_eq!(entries(d.stage()), ["manifest.json", "mine.txt", "summary.csv"]);
    stage_file(&d, "report.html", "r");
    d.publish("manifest.json").unwrap();
    assert_eq!(entries(&out), ["manifest.json", "mine.txt", "report.html", "summary.csv"]);
    assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "s");
}

#[test]
fn names_outside_the_directory_are_never_removed() {
    assert!(is_relative_name("plots/a.png"));
    assert!(!is_relative_name("../x"));
    assert!(!is_relative_name("/etc/passwd"));
    assert!(!is_relative_name(""));
}

#[test]
fn a_fresh_out_keeps_files_no_marker_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("exp");
    fs::create_dir(&out).unwrap();
    for f in ["scenario-high.toml", "report.html", "points.csv"] {
        fs::write(out.join(f), "mine").unwrap();
    }
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::write(d.stage().join("summary.csv"), "s").unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":["summary.csv"]}"#).unwrap();
    d.publish("manifest.json").unwrap();
    for f in ["scenario-high.toml", "report.html", "points.csv"] {
        assert_eq!(fs::read_to_string(out.join(f)).unwrap(), "mine", "{f}");
    }
}

#[test]
fn a_target_in_the_way_is_refused_before_anything_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    fs::create_dir_all(out.join("summary.csv")).unwrap();
    fs::write(out.join("manifest.json"), r#"{"files":[]}"#).unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::write(d.stage().join("summary.csv"), "s").unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":["summary.csv"]}"#).unwrap();
    let e = d.publish("manifest.json").unwrap_err();
    assert!(e.is_bad_input() && e.to_string().contains("is a directory"), "{e}");
    assert!(out.join("manifest.json").is_file(), "the previous result keeps its marker");
}

#[cfg(unix)]
#[test]
fn a_symlinked_plots_folder_is_refused_and_its_target_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("figs");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("price_war.png"), "mine").unwrap();
    let out = tmp.path().join("res");
    fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("plots")).unwrap();
    fs::write(out.join("manifest.json"), r#"{"files":["plots/price_war.png"]}"#).unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::create_dir(d.stage().join("plots")).unwrap();
    fs::write(d.stage().join("plots/consumers.png"), "c").unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":["plots/consumers.png"]}"#).unwrap();
    let e = d.publish("manifest.json").unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
    assert_eq!(fs::read_to_string(elsewhere.join("price_war.png")).unwrap(), "mine");
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn a_stale_journal_names_files_to_replace() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    fs::create_dir_all(out.join(WORK_DIR)).unwrap();
    // The previous result's marker is gone (removed by a killed publish); the journal
    // still names its files.
    fs::write(out.join("deltas.csv"), "old").unwrap();
    fs::write(
        out.join(WORK_DIR).join(JOURNAL_FILE),
        r#"{"marker":"manifest.json","previous":["deltas.csv"],"new":["summary.csv","manifest.json"]}"#,
    )
    .unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::write(d.stage().join("summary.csv"), "s").unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":["summary.csv"]}"#).unwrap();
    d.publish("manifest.json").unwrap();
    assert!(!out.join("deltas.csv").exists(), "the stale file the journal named is gone");
    assert!(!out.join(WORK_DIR).exists());
}

#[test]
fn the_current_directory_can_be_published() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res").join(".");
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":[]}"#).unwrap();
    d.publish("manifest.json").unwrap();
    assert!(tmp.path().join("res/manifest.json").is_file());
}

#[test]
fn taking_the_lock_finishes_a_killed_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let work = out.join(WORK_DIR);
    fs::create_dir_all(work.join(STAGE_DIR)).unwrap();
    // Killed after the old marker was removed and one file was renamed in.
    fs::write(out.join("old.csv"), "previous result's").unwrap();
    fs::write(out.join("annual.csv"), "new").unwrap();
    fs::write(work.join(STAGE_DIR).join("summary.csv"), "new").unwrap();
    fs::write(work.join(STAGE_DIR).join("manifest.json"), r#"{"files":["annual.csv","summary.csv"]}"#).unwrap();
    fs::write(
        work.join(JOURNAL_FILE),
        r#"{"marker":"manifest.json","previous":["old.csv"],"new":["annual.csv","manifest.json","summary.csv"]}"#,
    )
    .unwrap();
    let d = OutDir::lock(&out).unwrap();
    assert!(d.rolled_forward());
    drop(d);
    assert_eq!(entries(&out), ["annual.csv", "manifest.json", "summary.csv"]);
    // A journal whose marker is no longer staged is not rolled forward.
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join(JOURNAL_FILE), r#"{"marker":"manifest.json","previous":[],"new":["x.csv"]}"#).unwrap();
    assert!(!OutDir::lock(&out).unwrap().rolled_forward());
}

#[cfg(unix)]
#[test]
fn a_symlinked_folder_is_never_followed_when_removing() {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web");
    fs::create_dir(&web).unwrap();
    fs::write(web.join("price_war.png"), "outside").unwrap();
    let out = tmp.path().join("res");
    fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&web, out.join("plots")).unwrap();
    fs::write(out.join("manifest.json"), r#"{"files":["plots/price_war.png"]}"#).unwrap();
    let mut d = OutDir::lock(&out).unwrap();
    d.fresh_stage().unwrap();
    fs::write(d.stage().join("manifest.json"), r#"{"files":[]}"#).unwrap();
    d.publish("manifest.json").unwrap();
    assert_eq!(fs::read_to_string(web.join("price_war.png")).unwrap(), "outside");
}
