#!/usr/bin/env bash
# End-to-end test on a real one-node Slurm cluster on localhost.
#
# Installs munge and Slurm from apt when missing, starts munged (unless one is running),
# slurmctld and slurmd by hand (no systemd) with a private configuration, then:
#   1. runs the script of `zeromile slurm` for a two-scenario Monte Carlo run in 3 shards and
#      checks the merge job's output is byte-identical to a single-process `zeromile run`
#      (the manifest: apart from its provenance);
#   2. injects a failure into shard 1: the merge job must be cancelled, `zeromile merge` must
#      exit 2 naming shard 1, and `sbatch --array=1` of the same script must complete the run.
# It stops only the daemons it started, by PID, and cancels only the jobs it submitted.
#
# Skips (exit 0, with a message) where it cannot run: not root, no apt-get, packages not
# installable (no network), or a Slurm controller already running on this machine.
# Usage: bash .ci/slurm-test.sh        (from anywhere; builds target/release/zeromile if stale)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
TIMEOUT=${SLURM_TEST_TIMEOUT:-180} # seconds to wait for one batch of jobs

say() { echo "slurm test [$((SECONDS - START)) s]: $*"; }
skip() {
    echo "slurm test: SKIPPED: $*"
    exit 0
}
fail() {
    echo "slurm test: FAILED: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root to install packages and start slurmctld/slurmd"
command -v apt-get >/dev/null || skip "no apt-get on this machine (the test installs Debian's Slurm packages)"
if pidof slurmctld >/dev/null 2>&1 || pidof slurmd >/dev/null 2>&1; then
    skip "a Slurm daemon is already running on this machine; the test does not touch a cluster it did not start"
fi

PACKAGES=(slurmctld slurmd slurm-client munge)
if ! dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then
    say "installing ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q >/tmp/zeromile-slurm-apt.log 2>&1 ||
        ! apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>/tmp/zeromile-slurm-apt.log 2>&1; then
        tail -n 5 /tmp/zeromile-slurm-apt.log
        skip "apt-get cannot install ${PACKAGES[*]} (no network or no such packages; log: /tmp/zeromile-slurm-apt.log)"
    fi
fi

# ---- a private cluster: configuration, state and logs under $STATE --------------------------
WORK=$(mktemp -d /tmp/zeromile-slurm.XXXXXX)
STATE=$WORK/slurm
mkdir -p "$STATE/ctld" "$STATE/spool"
export SLURM_CONF=$STATE/slurm.conf # clients, daemons and (through the job environment) jobs
OURS=()                              # PIDs of the daemons this script started
JOBS=()                              # job ids this script submitted

stop_all() {
    local rc=$?
    if [ ${#JOBS[@]} -gt 0 ]; then scancel "${JOBS[@]}" 2>/dev/null || true; fi
    # By PID only: SIGTERM to all at once (each takes about 2 s to exit), SIGKILL after 5 s.
    for pid in "${OURS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${OURS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$rc" = 0 ]; then
        rm -rf "$WORK"
    else
        echo "slurm test: work directory kept for inspection: $WORK" >&2
        tail -n 20 "$STATE"/slurmctld.log "$STATE"/slurmd.log 2>/dev/null >&2 || true
    fi
}
trap stop_all EXIT

host=$(hostname -s)
# `slurmd -C` reports this machine's sockets, cores, threads and memory in slurm.conf syntax.
node=$(slurmd -C | head -n 1)
[[ $node == NodeName=* ]] || fail "slurmd -C printed no node line: $node"
cat >"$SLURM_CONF" <<EOF
# One-node test cluster written by zeromile's .ci/slurm-test.sh; removed after the test.
ClusterName=zeromile-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
# Start batch jobs at once instead of in 3-second waves.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
MinJobAge=300
KillWait=5
InactiveLimit=0
Waittime=0
# No DependencyParameters=kill_invalid_depend: the generated script asks for it per job
# (--kill-on-invalid-dep=yes), as it must on clusters that do not set it.
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

wait_pidfile() { # FILE: waits for a daemon's PID file, prints the PID
    for _ in $(seq 100); do
        if [ -s "$1" ]; then cat "$1"; return 0; fi
        sleep 0.1
    done
    return 1
}

if pidof munged >/dev/null 2>&1; then
    say "using the munged already running"
else
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged
    pid=$(wait_pidfile /run/munge/munged.pid) || fail "munged did not start"
    OURS+=("$pid")
fi
/usr/sbin/slurmctld -c -f "$SLURM_CONF"
pid=$(wait_pidfile "$STATE/slurmctld.pid") || fail "slurmctld did not start"
OURS+=("$pid")
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
/usr/sbin/slurmd -c -f "$SLURM_CONF"
pid=$(wait_pidfile "$STATE/slurmd.pid") || fail "slurmd did not start"
OURS+=("$pid")
for _ in $(seq 150); do
    sinfo -h -o %T 2>/dev/null | grep -qx idle && break
    sleep 0.2
done
sinfo -h -o %T | grep -qx idle || fail "the node did not become idle: $(sinfo 2>&1)"
say "cluster up on $host ($(sinfo -h -o '%c') CPUs)"

# ---- the binary and a two-scenario run ---------------------------------------------------------
# The binary `cargo test --release` built (CI runs this after it), unless sources are newer:
# `cargo build --release` right after `cargo test --release` compiles the crate again (~70 s).
BIN=$ROOT/target/release/zeromile
if [ ! -x "$BIN" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$BIN" 2>/dev/null | head -n 1)" ]; then
    cargo build --release --quiet --bin zeromile
fi
SHARDS=3
printf 'extends = "%s"\nname = "smoke_budget"\n[policy]\nhard_budget = true\n' "$ROOT/scenarios/smoke.toml" \
    >"$WORK/smoke_budget.toml"
RUN_ARGS=("$ROOT/scenarios/smoke.toml" "$WORK/smoke_budget.toml" --replicates 8 --set consumers.agents=1500
    --trajectories)
"$BIN" run "${RUN_ARGS[@]}" --out "$WORK/reference" --quiet

wait_jobs() { # IDS...: waits until none of the jobs is pending or running
    local deadline=$((SECONDS + TIMEOUT)) ids
    ids=$(IFS=,; echo "$*")
    while squeue -h -j "$ids" 2>/dev/null | grep -q .; do
        [ $SECONDS -lt $deadline ] || { squeue; fail "jobs $ids still queued after $TIMEOUT s"; }
        sleep 0.5
    done
}
job_state() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }

# submit OUT_DIR [SBATCH_ARGS...]: submits the script of OUT_DIR, waits for the array and the
# merge job it submits; sets ARRAY and MERGE.
submit() {
    local dir=$1
    shift
    rm -f "$dir/logs/merge-job-id"
    ARRAY=$(sbatch --parsable "$@" "$dir/job.sh")
    ARRAY=${ARRAY%%;*}
    JOBS+=("$ARRAY")
    wait_jobs "$ARRAY"
    [ -s "$dir/logs/merge-job-id" ] || fail "the array's first task did not submit the merge job: $(cat "$dir"/logs/*)"
    MERGE=$(cat "$dir/logs/merge-job-id")
    JOBS+=("$MERGE")
    wait_jobs "$MERGE"
}

# same_run REFERENCE MERGED: byte-identical files; the manifest equal without its provenance.
same_run() {
    local a=$1 b=$2 f
    diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) || fail "$b: other files than $a"
    while read -r f; do
        case $f in
        ./manifest.json) # provenance is the manifest's last field
            cmp <(sed '/^  "provenance": {/,$d' "$a/$f") <(sed '/^  "provenance": {/,$d' "$b/$f") ||
                fail "$b/$f differs from the single-process run outside provenance" ;;
        *) cmp "$a/$f" "$b/$f" || fail "$b/$f differs from the single-process run" ;;
        esac
    done < <(cd "$a" && find . -type f | sort)
}

passed=0

# ---- 1. a sharded Monte Carlo run as a job array, merged by the dependent job -------------------
OUT1=$WORK/cluster
"$BIN" slurm "${RUN_ARGS[@]}" --shards $SHARDS --cpus-per-task 1 --time 5 --output-dir "$OUT1" --out "$OUT1/job.sh"
submit "$OUT1"
say "array $ARRAY: $(scontrol -o show job "$ARRAY" | grep -o 'JobState=[A-Z]*' | sort | uniq -c | xargs)"
[ "$(job_state "$MERGE")" = COMPLETED ] || fail "merge job $MERGE: $(job_state "$MERGE"): $(cat "$OUT1"/logs/*)"
same_run "$WORK/reference" "$OUT1/merged"
say "run in $SHARDS shards == single-process run ($(find "$OUT1/merged" -type f | wc -l) files)"
passed=$((passed + 1))

# ---- 2. a failed shard: merge cancelled, named by `zeromile merge`, rerun alone -----------------
OUT2=$WORK/cluster-failing
"$BIN" slurm "${RUN_ARGS[@]}" --shards $SHARDS --cpus-per-task 1 --time 5 --output-dir "$OUT2" --out "$OUT2/job.sh"
cat >"$WORK/flaky-zeromile" <<EOF
#!/bin/sh
# zeromile, except that shard 1 fails (an injected failure for the test).
if [ "\${SLURM_ARRAY_TASK_ID:-}" = 1 ]; then echo "injected failure of shard 1" >&2; exit 3; fi
exec "$BIN" "\$@"
EOF
chmod +x "$WORK/flaky-zeromile"
ZEROMILE=$WORK/flaky-zeromile submit "$OUT2"
state=$(job_state "$MERGE")
[ "$state" = CANCELLED ] || fail "merge job $MERGE after a failed shard: $state, expected CANCELLED"
set +e
msg=$("$BIN" merge "$OUT2"/shard-* --out "$OUT2/merged" --quiet 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "zeromile merge with shard 1 missing exited $rc, expected 2: $msg"
[[ $msg == *"missing shards: 1 of $SHARDS"* ]] || fail "zeromile merge did not name shard 1: $msg"
say "shard 1 failed, merge job $state, zeromile merge said: $msg"
submit "$OUT2" --array=1 # the same script, shard 1 only; it submits the merge again
[ "$(job_state "$MERGE")" = COMPLETED ] || fail "merge job $MERGE after the rerun: $(job_state "$MERGE")"
same_run "$WORK/reference" "$OUT2/merged"
say "shard 1 rerun alone with --array=1; merged == single-process run"
passed=$((passed + 1))

# ---- 3. the smoke sweep as a job array, merged by the dependent job ------------------------------
SWEEP=$ROOT/scenarios/sweeps/smoke.toml
"$BIN" sweep "$SWEEP" --out "$WORK/sweep-reference" --quiet
OUT3=$WORK/cluster-sweep
"$BIN" slurm "$SWEEP" --shards $SHARDS --cpus-per-task 1 --time 5 --output-dir "$OUT3" --out "$OUT3/job.sh"
submit "$OUT3"
[ "$(job_state "$MERGE")" = COMPLETED ] || fail "sweep merge job $MERGE: $(job_state "$MERGE"): $(cat "$OUT3"/logs/*)"
same_run "$WORK/sweep-reference" "$OUT3/merged"
say "smoke sweep in $SHARDS shards == single-process sweep ($(find "$OUT3/merged" -type f | wc -l) files)"
passed=$((passed + 1))

echo "slurm test: $passed passed, 0 failed in $((SECONDS - START)) s"
