//! Unit tests of `scenario::load`: merging, `extends`, `--set`, positioned errors.
use super::*;

/// The `(location, key, message)` of a scenario error; panics on any other error.
fn scenario_err(r: Result<Scenario>) -> (Location, String, String) {
    match r {
        Err(Error::Scenario { location, key, message }) => (location, key, message),
        Err(e) => panic!("expected a scenario error, got {e}"),
        Ok(_) => panic!("expected a scenario error, got a scenario"),
    }
}

fn market<'a>(s: &'a Scenario, id: &str) -> &'a MarketParams {
    s.markets.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("no market {id}"))
}

/// Writes `files` (name, text) into a fresh temporary folder.
fn write_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const BASE: &str = r#"
seed = 7
[consumers]
agents = 1000
price_sensitivity = 3.0

[[markets]]
id = "russia"
tariff = 0.3
market_size = 1000.0

[[markets]]
id = "utopia"
market_size = 500.0
tariff = 0.2

[[events]]
id = "cap"
date = "2025-06"
kind = "payment_days_cap"
days = 60.0

[[events]]
id = "cap_later"
date = "2026-01"
kind = "payment_days_cap"
days = 45.0
"#;

const CHILD: &str = r#"
extends = "base.toml"
[consumers]
agents = 2000

[[markets]]
id = "russia"
tariff = 0.5

[[markets]]
id = "atlantis"
market_size = 42.0

[[events]]
id = "cap"
days = 30.0
"#;

/// A child's table is merged key by key into the base's: keys the child does not write keep
/// the base's values, and keys neither writes keep the defaults.
#[test]
fn extends_merges_child_tables_into_base_keeping_untouched_keys() {
    let dir = write_files(&[("base.toml", BASE), ("child.toml", CHILD)]);
    let s = load(&dir.path().join("child.toml"), &[]).unwrap();
    assert_eq!(s.consumers.agents, 2000);
    assert_eq!(s.consumers.price_sensitivity, 3.0);
    assert_eq!(s.consumers.brand_weight, ConsumerParams::default().brand_weight);
    assert_eq!(s.seed, 7);
    assert_eq!(s.name, "child", "the name defaults to the loaded file's stem");
}

/// `[[markets]]` merge by `id`: the child's element overrides only the fields it writes of the
/// base element with that id, other elements stay as they were, and a new id is appended.
#[test]
fn extends_merges_markets_by_id_and_appends_new_ids() {
    let dir = write_files(&[("base.toml", BASE), ("child.toml", CHILD)]);
    let s = load(&dir.path().join("child.toml"), &[]).unwrap();
    let ids: Vec<&str> = s.markets.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["russia", "utopia", "atlantis"]);
    let russia = market(&s, "russia");
    assert_eq!(russia.tariff, 0.5);
    assert_eq!(russia.market_size, 1000.0, "a field the child does not write keeps the base's value");
    let utopia = market(&s, "utopia");
    assert_eq!((utopia.tariff, utopia.market_size), (0.2, 500.0));
    assert_eq!(market(&s, "atlantis").market_size, 42.0);
}

/// `[[events]]` merge by `id` the same way: the child changes one field of one event.
#[test]
fn extends_merges_events_by_id() {
    let dir = write_files(&[("base.toml", BASE), ("child.toml", CHILD)]);
    let s = load(&dir.path().join("child.toml"), &[]).unwrap();
    let ids: Vec<&str> = s.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["cap", "cap_later"]);
    let days = |i: usize| match &s.events[i].kind {
        EventKind::PaymentDaysCap(p) => p.days,
        k => panic!("unexpected kind {}", k.tag()),
    };
    assert_eq!(days(0), 30.0);
    assert_eq!(s.events[0].date, YearMonth { year: 2025, month: 6 }, "the base's date is kept");
    assert_eq!(days(1), 45.0);
}

/// A cycle of `extends` (a → b → a) is refused at the `extends` key that closes it, naming
/// the chain.
#[test]
fn extends_cycle_is_refused_naming_the_chain() {
    let dir = write_files(&[("a.toml", "extends = \"b.toml\"\n"), ("b.toml", "seed = 1\nextends = \"a.toml\"\n")]);
    let (loc, key, message) = scenario_err(load(&dir.path().join("a.toml"), &[]));
    assert_eq!(key, "extends");
    assert!(message.starts_with("cyclic `extends`"), "{message}");
    assert!(message.contains("a.toml") && message.contains("b.toml"), "{message}");
    assert_eq!(loc.file.as_deref().and_then(|f| f.file_name()), Some(std::ffi::OsStr::new("b.toml")));
    assert_eq!(loc.line, 2);
}

/// A file extending itself is the shortest cycle.
#[test]
fn extends_itself_is_a_cycle() {
    let dir = write_files(&[("a.toml", "extends = \"a.toml\"\n")]);
    let (_, key, message) = scenario_err(load(&dir.path().join("a.toml"), &[]));
    assert_eq!(key, "extends");
    assert!(message.contains("cyclic"), "{message}");
}

/// `extends` of a missing file names the file.
#[test]
fn extends_of_missing_file_is_refused() {
    let dir = write_files(&[("a.toml", "extends = \"nope.toml\"\n")]);
    let (_, key, message) = scenario_err(load(&dir.path().join("a.toml"), &[]));
    assert_eq!(key, "extends");
    assert!(message.contains("nope.toml") && message.contains("does not exist"), "{message}");
}

/// `--set` of a nested key replaces that key only; it wins over the file.
#[test]
fn set_overrides_a_nested_key_and_wins_over_the_file() {
    let s =
        from_str("[consumers]\nagents = 1000\nprice_sensitivity = 3.0\n", &["consumers.agents=1234".into()]).unwrap();
    assert_eq!(s.consumers.agents, 1234);
    assert_eq!(s.consumers.price_sensitivity, 3.0);
    let s = from_str("", &["automakers.markup_max = 0.9".into()]).unwrap();
    assert_eq!(s.automakers.markup_max, 0.9);
}

/// `--set markets[id].field` addresses a market by id, also a built-in one no file lists,
/// and leaves the other markets alone.
#[test]
fn set_addresses_markets_by_id() {
    let s = from_str("", &["markets[russia].tariff=0.42".into()]).unwrap();
    let defaults = default_markets();
    assert_eq!(s.markets.len(), defaults.len());
    assert_eq!(market(&s, "russia").tariff, 0.42);
    assert_eq!(market(&s, "russia").market_size, defaults[0].market_size);
    assert_eq!(market(&s, "central_asia").tariff, defaults[1].tariff);

    let text = "[[markets]]\nid = \"utopia\"\ntariff = 0.2\n";
    let s = from_str(text, &["markets[utopia].tariff=0.7".into()]).unwrap();
    assert_eq!(market(&s, "utopia").tariff, 0.7);
}

/// `--set` of an id no element has, or of the element itself, is refused with the path.
#[test]
fn set_of_unknown_market_id_is_refused() {
    let (loc, key, message) = scenario_err(from_str("", &["markets[mars].tariff=0.1".into()]));
    assert_eq!(key, "markets[mars].tariff");
    assert!(message.contains("\"mars\""), "{message}");
    assert_eq!(loc.file, None);
    let (_, _, message) = scenario_err(from_str("", &["markets[russia]=1".into()]));
    assert!(message.contains("address a key inside the element"), "{message}");
    let (_, _, message) = scenario_err(from_str("", &["consumers.agents".into()]));
    assert!(message.contains("path.to.key=value"), "{message}");
}

/// An unknown top-level key in `--set` gets a suggestion of the near key.
#[test]
fn set_of_unknown_top_key_suggests_the_near_key() {
    let (_, key, message) = scenario_err(from_str("", &["consumer.agents=5".into()]));
    assert_eq!(key, "consumer.agents");
    assert_eq!(message, "unknown key `consumer`; did you mean `consumers`?");
}

/// An unknown key in a section names its full key path and line and suggests the near key.
#[test]
fn unknown_section_key_names_path_line_and_suggestion() {
    let text = "seed = 1\n\n[consumers]\nagent = 5000\n";
    let (loc, key, message) = scenario_err(from_str(text, &[]));
    assert_eq!(key, "consumers.agent");
    assert_eq!(loc.line, 4);
    assert_eq!(message, "unknown key `agent`; did you mean `agents`?");
}

/// An unknown top-level key in a file is reported at its line with a suggestion.
#[test]
fn unknown_top_key_names_line_and_suggestion() {
    let (loc, key, message) = scenario_err(from_str("seed = 1\nreplicate = 3\n", &[]));
    assert_eq!(key, "replicate");
    assert_eq!(loc.line, 2);
    assert_eq!(message, "unknown key `replicate`; did you mean `replicates`?");
}

/// A value outside its key's range names the key path, its line and the valid range.
#[test]
fn range_violation_names_key_line_and_range() {
    let (loc, key, message) = scenario_err(from_str("[consumers]\nagents = 10\n", &[]));
    assert_eq!(key, "consumers.agents");
    assert_eq!(loc.line, 2);
    assert_eq!(message, "expected a whole number in [100, 50000000], got 10");
    let (_, key, message) = scenario_err(from_str("[[markets]]\nid = \"x\"\nshare_cap = 1.5\n", &[]));
    assert_eq!(key, "markets[x].share_cap");
    assert_eq!(message, "expected a number in [0.0, 1.0], got 1.5");
}

/// A range violation that came from `--set` is reported at no file.
#[test]
fn range_violation_from_set_has_no_file() {
    let (loc, key, message) = scenario_err(from_str("[consumers]\nagents = 1000\n", &["consumers.agents=10".into()]));
    assert_eq!(key, "consumers.agents");
    assert_eq!((loc.file, loc.line), (None, 0));
    assert!(message.contains("[100, 50000000]"), "{message}");
}

/// A value of the wrong type is refused with the expected type.
#[test]
fn wrong_type_is_refused_with_expected_type() {
    let (loc, key, message) = scenario_err(from_str("seed = \"seven\"\n", &[]));
    assert_eq!(key, "seed");
    assert_eq!(loc.line, 1);
    assert_eq!(message, "expected a whole number of at least 0, found text \"seven\"");
    let (_, key, _) = scenario_err(from_str("consumers = 3\n", &[]));
    assert_eq!(key, "consumers");
}

/// Cross-field rules: `end` not before `start`, markup_min below markup_max, government
/// weights summing to 1, state_share + jv_share at most 1, replicates at least 1.
#[test]
fn cross_field_rules_are_checked() {
    let (_, key, _) = scenario_err(from_str("start = \"2020-01\"\nend = \"2019-12\"\n", &[]));
    assert_eq!(key, "end");
    let (_, key, _) = scenario_err(from_str("[automakers]\nmarkup_min = 0.5\nmarkup_max = 0.5\n", &[]));
    assert_eq!(key, "automakers.markup_min");
    let (_, key, _) = scenario_err(from_str("[automakers]\nstate_share = 0.7\njv_share = 0.4\n", &[]));
    assert_eq!(key, "automakers.jv_share");
    let (_, key, message) = scenario_err(from_str(
        "[governments]\nweight_production = 0.5\nweight_export = 0.5\nweight_bailout = 0.5\n",
        &[],
    ));
    assert_eq!(key, "governments.weight_bailout");
    assert!(message.contains("sum to 1"), "{message}");
    let (_, key, message) = scenario_err(from_str("replicates = 0\n", &[]));
    assert_eq!(key, "replicates");
    assert_eq!(message, "expected a whole number of replicates from 1 to 1000000, found 0");
}

/// Duplicate market or event ids are refused; an event must name a known market.
#[test]
fn duplicate_ids_and_unknown_event_market_are_refused() {
    let text = "[[markets]]\nid = \"x\"\n[[markets]]\nid = \"x\"\n";
    let (_, key, message) = scenario_err(from_str(text, &[]));
    assert_eq!(key, "markets[x].id");
    assert!(message.contains("duplicate market id"), "{message}");
    let text = "[[events]]\nid = \"t\"\ndate = \"2024-01\"\nkind = \"tariff\"\nmarket = \"mars\"\nad_valorem = 0.1\n";
    let (_, key, message) = scenario_err(from_str(text, &[]));
    assert_eq!(key, "events[t].market");
    assert!(message.contains("russia"), "lists the known markets: {message}");
}

/// `from_str` has no file to resolve `extends` against.
#[test]
fn from_str_refuses_extends() {
    let (_, key, _) = scenario_err(from_str("extends = \"base.toml\"\n", &[]));
    assert_eq!(key, "extends");
}

/// `--set` key paths: dotted names with an optional `[id]` per step; anything else is refused
/// with what a key path looks like, and `extends` cannot be set.
#[test]
fn set_key_paths_are_parsed_strictly() {
    assert_eq!(key_path("consumers.agents"), Some(vec![("consumers", None), ("agents", None)]));
    assert_eq!(key_path("markets[russia].tariff"), Some(vec![("markets", Some("russia")), ("tariff", None)]));
    assert_eq!(key_path("events[a.b].regions"), Some(vec![("events", Some("a.b")), ("regions", None)]));
    assert_eq!(key_path("seed"), Some(vec![("seed", None)]));
    for bad in [
        "markets[russia.tariff",
        "events[licence]].regions",
        "events[]].regions",
        "events[].regions",
        "markets[a[b]].tariff",
        "consumers..agents",
        "consumers.agents.",
        ".seed",
        "",
        "consumers agents",
        "markets[russia]tariff",
    ] {
        assert_eq!(key_path(bad), None, "{bad:?}");
    }
    for bad in ["markets[russia.tariff=0.7", "events[licence]].regions=3", "consumers..agents=5"] {
        let (loc, key, message) = scenario_err(from_str(BASE, &[bad.to_string()]));
        assert_eq!(loc, Location::default(), "{bad}");
        assert_eq!(key, bad.split_once('=').unwrap().0);
        assert!(message.starts_with("not a key path: write dotted names"), "{message}");
        assert!(message.contains("markets[russia].tariff"), "{message}");
    }
}

#[test]
fn set_of_extends_is_refused() {
    let dir = write_files(&[("base.toml", BASE), ("child.toml", "extends = \"base.toml\"\n")]);
    for set in ["extends=\"base.toml\"", "extends=other.toml"] {
        let (_, key, message) = scenario_err(load(&dir.path().join("child.toml"), &[set.to_string()]));
        assert_eq!(key, "extends");
        assert_eq!(message, "`extends` cannot be set with --set; write it in the scenario file");
    }
}

/// Every required event key names a key of its kind, and an event without it is refused at
/// the event's line, naming the key and what it means.
#[test]
fn required_event_keys_are_named_when_missing() {
    use crate::scenario::events::REQUIRED_KEYS;
    let documented: Vec<String> = EventKind::describe().into_iter().map(|k| k.path).collect();
    for r in REQUIRED_KEYS {
        assert!(EVENT_KINDS.contains(&r.kind), "{}", r.kind);
        let path = format!("events[kind={}].{}", r.kind, r.key);
        assert!(documented.contains(&path), "{path} is not a key of its kind");
    }
    // A complete event of each kind that has required keys loads; without one key it is refused.
    let complete = |kind: &str| -> String {
        let keys: Vec<String> = REQUIRED_KEYS
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| match r.key {
                "market" => "market = \"russia\"".to_string(),
                "regions" | "min_holding_months" => format!("{} = 1", r.key),
                "basis" => "basis = \"full_cost_planned\"".to_string(),
                k => format!("{k} = 0.5"),
            })
            .collect();
        keys.join("\n")
    };
    for r in REQUIRED_KEYS {
        let head = format!("\n[[events]]\nid = \"e\"\ndate = \"2024-01\"\nkind = \"{}\"\n", r.kind);
        let full = complete(r.kind);
        from_str(&format!("{head}{full}\n"), &[]).unwrap_or_else(|e| panic!("{}: {e}", r.kind));
        let without: Vec<&str> = full.lines().filter(|l| !l.starts_with(&format!("{} ", r.key))).collect();
        let text = format!("{head}{}\n", without.join("\n"));
        let (loc, key, message) = scenario_err(from_str(&text, &[]));
        assert_eq!(key, format!("events[e].{}", r.key), "{text}");
        assert_eq!(loc.line, 2, "the event's [[events]] line: {text}");
        assert_eq!(message, format!("a `{}` event needs `{}`: {}", r.kind, r.key, r.meaning));
    }
    let (_, key, message) =
        scenario_err(from_str("[[events]]\nid = \"q\"\ndate = \"2024-01\"\nkind = \"zero_mileage_quota\"\n", &[]));
    assert_eq!(key, "events[q].vehicles_per_month");
    assert!(message.ends_with("(write 0 for a ban)"), "{message}");
    // A misspelt required key is reported as the unknown key it is.
    let (_, key, message) = scenario_err(from_str(
        "[[events]]\nid = \"q\"\ndate = \"2024-01\"\nkind = \"zero_mileage_quota\"\nvehicles_per_mont = 5.0\n",
        &[],
    ));
    assert_eq!(key, "events[q].vehicles_per_mont");
    assert!(message.contains("did you mean `vehicles_per_month`"), "{message}");
}

/// A price-share trade-in subsidy needs its cap instead of the flat amounts.
#[test]
fn trade_in_min_car_age_is_a_migration_error() {
    let head =
        "[[events]]\nid = \"t\"\ndate = \"2024-01\"\nkind = \"trade_in_subsidy\"\nnev_yuan = 1.0\nice_yuan = 2.0\n";
    let (_, key, message) = scenario_err(from_str(&format!("{head}min_car_age_months = 159.0\n"), &[]));
    assert_eq!(key, "events[t].min_car_age_months");
    assert!(message.contains("was removed") && message.contains("scrap_registered_before"), "{message}");
    let ok = from_str(&format!("{head}scrap_registered_before = \"2011-01\"\nreplace_nev_yuan = 15000.0\n"), &[]);
    assert!(ok.is_ok(), "{ok:?}");
    let (_, key, message) = scenario_err(from_str(&format!("{head}scrap_registered_before = \"2011-13\"\n"), &[]));
    assert_eq!(key, "events[t].scrap_registered_before", "{message}");
}

#[test]
fn trade_in_by_price_share_needs_its_cap() {
    let head = "[[events]]\nid = \"t\"\ndate = \"2024-01\"\nkind = \"trade_in_subsidy\"\n";
    from_str(&format!("{head}price_share = 0.12\ncap_yuan = 20000.0\n"), &[]).unwrap();
    from_str(&format!("{head}nev_yuan = 1.0\nice_yuan = 2.0\n"), &[]).unwrap();
    let (_, key, message) = scenario_err(from_str(&format!("{head}price_share = 0.12\n"), &[]));
    assert_eq!(key, "events[t].cap_yuan");
    assert!(message.starts_with("a `trade_in_subsidy` event needs `cap_yuan`"), "{message}");
    let (_, key, _) = scenario_err(from_str(&format!("{head}price_share = 0\nnev_yuan = 1.0\n"), &[]));
    assert_eq!(key, "events[t].ice_yuan");
    // An inherited event keeps the keys its base wrote: a child may switch it off by id alone.
    let base = format!("{head}nev_yuan = 1.0\nice_yuan = 2.0\n");
    let dir = write_files(&[
        ("base.toml", &base),
        ("child.toml", "extends = \"base.toml\"\n[[events]]\nid = \"t\"\nenabled = false\n"),
    ]);
    let s = load(&dir.path().join("child.toml"), &[]).unwrap();
    assert!(!s.events[0].enabled);
}

/// An `extends` chain is read without recursion and capped: 64 files load, 65 are refused
/// naming the chain; a chain of thousands is refused the same way, without a stack overflow.
#[test]
fn extends_chains_are_capped() {
    use crate::scenario::limits::MAX_EXTENDS_DEPTH;
    let dir = tempfile::tempdir().unwrap();
    let n = 3 * MAX_EXTENDS_DEPTH;
    for i in 0..n {
        std::fs::write(dir.path().join(format!("f{i}.toml")), format!("extends = \"f{}.toml\"\nseed = {i}\n", i + 1))
            .unwrap();
    }
    std::fs::write(dir.path().join(format!("f{n}.toml")), "end = \"2019-03\"\n").unwrap();
    // f(n - 63) .. f(n): 64 files, the first one's seed winning.
    let ok = n + 1 - MAX_EXTENDS_DEPTH;
    let s = load(&dir.path().join(format!("f{ok}.toml")), &[]).unwrap();
    assert_eq!(s.seed, ok as u64);
    assert_eq!(s.end, YearMonth::new(2019, 3).unwrap());
    let (loc, key, message) = scenario_err(load(&dir.path().join(format!("f{}.toml", ok - 1)), &[]));
    assert_eq!(key, "extends");
    assert!(loc.file.unwrap().ends_with(format!("f{}.toml", n - 1)), "the file whose `extends` is one too many");
    assert!(message.starts_with("extends chain deeper than 64 files ("), "{message}");
    for (i, next) in [(ok - 1, " -> "), (ok, " -> "), (ok + 1, " -> ... -> ")] {
        assert!(message.contains(&format!("f{i}.toml{next}")), "{message}");
    }
    assert!(message.ends_with(&format!("f{n}.toml)")), "{message}");
    let (_, _, message) = scenario_err(load(&dir.path().join("f0.toml"), &[]));
    assert!(message.contains("f0.toml -> ") && message.ends_with("f64.toml)"), "{message}");
}

/// Merging events by id over many elements keeps the first element of each id and appends
/// new ids in order (the index replaces a scan per element).
#[test]
fn events_merge_by_id_at_scale() {
    let mut base = String::from("end = \"2019-03\"\n");
    let mut child = String::from("extends = \"base.toml\"\n");
    for i in 0..3000 {
        base.push_str(&format!("[[events]]\nid = \"e{i}\"\ndate = \"2019-02\"\nkind = \"hard_budget\"\n"));
        child.push_str(&format!("[[events]]\nid = \"e{}\"\nenabled = false\n", 2 * i));
    }
    child.push_str("[[events]]\nid = \"new\"\ndate = \"2019-02\"\nkind = \"hard_budget\"\n");
    let dir = write_files(&[("base.toml", &base), ("child.toml", &child)]);
    let err = scenario_err(load(&dir.path().join("child.toml"), &[]));
    // Child ids e3000.. (even, past the base's) are new elements without a date.
    assert_eq!(err.1, "events[e3000]", "{err:?}");
    let mut small = String::from("extends = \"base.toml\"\n");
    for i in (0..3000).step_by(3) {
        small.push_str(&format!("[[events]]\nid = \"e{i}\"\nenabled = false\n"));
    }
    std::fs::write(dir.path().join("small.toml"), small).unwrap();
    let s = load(&dir.path().join("small.toml"), &[]).unwrap();
    assert_eq!(s.events.len(), 3000);
    assert!(s.events.iter().enumerate().all(|(i, e)| e.id == format!("e{i}") && e.enabled == (i % 3 != 0)));
}

/// More events than the cap are refused before any of them is read.
#[test]
fn too_many_events_are_refused() {
    use crate::scenario::limits::MAX_EVENTS;
    let text = "[[events]]\n".repeat(MAX_EVENTS + 1);
    let (loc, key, message) = scenario_err(from_str(&text, &[]));
    assert_eq!((key.as_str(), loc.line), ("events", 1));
    assert_eq!(message, format!("{} events is more than the limit of {MAX_EVENTS}", MAX_EVENTS + 1));
}

/// A `--set` without a key path (found by fuzzing: `--set =1e308`) is named by the whole
/// override, not by an empty key.
#[test]
fn set_without_a_key_path_names_the_override() {
    let (location, key, message) = scenario_err(from_str("", &["=1e308".into()]));
    assert_eq!((location, key.as_str()), (Location::default(), "=1e308"));
    assert!(message.starts_with("not a key path"), "{message}");
    let (_, key, _) = scenario_err(from_str("", &["consumers..agents=1".into()]));
    assert_eq!(key, "consumers..agents");
}

/// A wrong `enabled` of an event is reported at the event's key and line (found by fuzzing:
/// it was reported as `enabled` from the "command line").
#[test]
fn wrong_event_enabled_names_the_event_and_line() {
    let text = "[[events]]\nid = \"b\"\ndate = \"2024-01\"\nkind = \"hard_budget\"\nenabled = \"true\"\n";
    let (location, key, message) = scenario_err(from_str(text, &[]));
    assert_eq!((key.as_str(), location.line), ("events[b].enabled", 5));
    assert!(message.contains("true or false"), "{message}");
}

/// A `--set` key path of many parts is refused before it builds nested tables (found by
/// fuzzing: `automakers.a.a.….a=1` with 100,000 parts overflowed a 2 MiB stack; a million
/// overflows any test thread's stack without the limit).
#[test]
fn very_deep_set_path_is_refused_without_overflowing_the_stack() {
    let deep = format!("automakers{}=1", ".a".repeat(1_000_000));
    let (location, key, message) = scenario_err(from_str("", &[deep]));
    assert_eq!(location, Location::default());
    assert!(key.starts_with("automakers.a.a") && key.len() <= 60, "{key}");
    assert!(message.contains("at most 32 parts (this one has 1000001)"), "{message}");
    let (_, key, _) = scenario_err(from_str("", &[format!("consumers{}=1", ".a".repeat(31))]));
    assert_eq!(key, "consumers.a", "32 parts are still looked up: unknown key `a`");
}
