#!/bin/bash
# ci-workflow.sh - checks .github/workflows/test.yml without GitHub: it is valid YAML (parsed
# with python3's yaml, Debian package python3-yaml), KVM access is enabled the way GitHub
# documents (the udev rule), the integration matrix lists shards 1..N where N is the file's
# SHARDS and the job runs `make integration SHARD=K/N` with them, results are uploaded with
# actions/upload-artifact@v4 even when a step failed; and with the integration runner
# (build/tests/integration), that N shards of the real case list run every case exactly once.
# Usage: tests/ci-workflow.sh [WORKFLOW]
set -u
cd "$(dirname "$0")/.."
. tests/junit.sh
WF=${1:-.github/workflows/test.yml}
IT=${INTEGRATION:-build/tests/integration}
passed=0 failed=0
junit_begin ci-workflow

check() { # NAME STATUS [DETAIL]
    if [[ $2 == 0 ]]; then
        echo "  $1 ... passed"; passed=$((passed + 1))
    else
        echo "  $1 ... FAILED"; failed=$((failed + 1))
        [[ -n ${3:-} ]] && sed 's/^/      | /' <<<"$3"
    fi
    junit_case "$1" "$2" "${3:-}"
}

# A python3 that has yaml: the one on PATH, or Debian's.
py=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then py=$p; break; fi
done

if [[ -z $py ]]; then
    check yaml-parser-available 1 "no python3 with yaml (Debian package python3-yaml)"
else
    out=$("$py" - "$WF" <<'EOF' 2>&1
import sys, yaml
path = sys.argv[1]
problems = []
try:
    with open(path) as f:
        wf = yaml.safe_load(f)
except Exception as e:
    print(f"{path}: not valid YAML: {e}")
    sys.exit(1)

def need(cond, what):
    if not cond:
        problems.append(what)

need(isinstance(wf, dict), "the top level is not a mapping")
wf = wf if isinstance(wf, dict) else {}
on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
need(on is not None, "no `on:` triggers")
jobs = wf.get("jobs") or {}
need(isinstance(jobs, dict) and jobs, "no jobs")

try:
    n = int((wf.get("env") or {}).get("SHARDS"))
except (TypeError, ValueError):
    n = None
need(n is not None and n >= 1, "env.SHARDS is not a whole number >= 1")

def steps(job):
    return [s for s in (job.get("steps") or []) if isinstance(s, dict)]

def runs(job):
    return "\n".join(str(s.get("run", "")) for s in steps(job))

kvm_rule = """echo 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"' | sudo tee /etc/udev/rules.d/99-kvm4all.rules"""
shard_jobs = []
for name, job in jobs.items():
    if not isinstance(job, dict):
        problems.append(f"job {name} is not a mapping")
        continue
    need(job.get("runs-on"), f"job {name}: no runs-on")
    text = runs(job)
    for line in (kvm_rule, "sudo udevadm control --reload-rules",
                 "sudo udevadm trigger --name-match=kvm"):
        need(line in text, f"job {name}: KVM is not enabled as GitHub documents: no `{line}`")
    uploads = [s for s in steps(job) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    need(uploads, f"job {name}: no actions/upload-artifact step")
    for s in uploads:
        need(s["uses"] == "actions/upload-artifact@v4", f"job {name}: {s['uses']}, not @v4")
        need(str(s.get("if", "")).strip() == "always()", f"job {name}: upload without if: always()")
        need("build/test-results" in str((s.get("with") or {}).get("path", "")),
             f"job {name}: upload does not take build/test-results")
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if "shard" in matrix:
        shard_jobs.append(name)
        shards = matrix["shard"]
        need(isinstance(shards, list) and n is not None and sorted(shards) == list(range(1, n + 1))
             and len(set(shards)) == len(shards),
             f"job {name}: matrix shard list {shards} is not 1..{n} (env.SHARDS)")
        need((job.get("strategy") or {}).get("fail-fast") is False,
             f"job {name}: fail-fast is not false (a failing shard would cancel the others)")
        need("make integration SHARD=${{ matrix.shard }}/${{ env.SHARDS }}" in text,
             f"job {name}: does not run make integration SHARD=${{{{ matrix.shard }}}}/${{{{ env.SHARDS }}}}")
    else:
        for target in ("make unit-tests", "make cli-tests"):
            need(target in text, f"job {name}: does not run `{target}`")
need(len(shard_jobs) == 1, f"want one job with a shard matrix, found {shard_jobs}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(n)
EOF
)
    status=$?
    check workflow-valid-and-complete $status "$out"
    shards=$([[ $status == 0 ]] && tail -1 <<<"$out")
    # The matrix's N against the real case list: every case in exactly one shard, none empty.
    if [[ -n $shards && -x $IT ]]; then
        work=$(mktemp -d)
        "$IT" --list >"$work/all"
        empty=0
        for ((k = 1; k <= shards; k++)); do
            "$IT" --list --shard=$k/$shards >"$work/$k" && [[ -s $work/$k ]] || empty=1
        done
        sort "$work/all" >"$work/all.sorted"
        cat "$work"/[0-9]* | sort >"$work/union"
        [[ $empty == 0 ]] && cmp -s "$work/all.sorted" "$work/union" && [[ -s $work/all ]]
        check "workflow-shards-1..$shards-cover-every-case-once" $? \
            "$(diff "$work/all.sorted" "$work/union" | head -5)"
        rm -rf "$work"
    elif [[ -n $shards ]]; then
        check workflow-shards-cover-every-case 1 "$IT not built"
    fi
fi

junit_end
echo "ci-workflow: $passed passed, $failed failed"
[[ $failed == 0 ]]
