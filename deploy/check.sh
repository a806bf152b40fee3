#!/usr/bin/env bash
# Checks the files in deploy/: run from anywhere, `bash deploy/check.sh`.
#
# Always (python3 + PyYAML): the dashboard is valid JSON with unique panel ids and non-overlapping
# panels; every PromQL expression (dashboard and alerts) names only hikbridge's metrics, with
# their labels and label values; the YAML files parse; config.example.toml uses only keys of
# config/default.toml and no secret.
# When installed: promtool (Debian package `prometheus`) checks the rules, runs their unit tests,
# checks prometheus.yml and the syntax of every dashboard query; systemd-analyze verifies the unit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

if python3 -m json.tool "$here/grafana/hikbridge-dashboard.json" >/dev/null; then
  echo "ok: dashboard is valid JSON"
else
  fail=1
fi

python3 - "$here" "$repo" "$tmp/dashboard_rules.yml" <<'PY' || fail=1
import json, re, sys, tomllib, yaml
here, repo, rules_out = sys.argv[1:4]

# The metrics hikbridge exports: name -> (kind, {label: allowed values or None for any}).
M = {
    "hikbridge_events_ingested_total": ("counter", {"source": {"push", "poll"}}),
    "hikbridge_events_rejected_total": ("counter", {"reason": None}),
    "hikbridge_ingest_commit_seconds": ("histogram", {}),
    "hikbridge_ingest_batch_size": ("histogram", {}),
    "hikbridge_decisions_total": ("counter", {"outcome": None}),
    "hikbridge_punch_deliveries_total": ("counter", {"outcome": {"delivered", "parked", "retry", "dry_run", "duplicate", "paused"}}),
    "hikbridge_outbox_depth": ("gauge", {"state": {"queued", "sending", "parked"}}),
    "hikbridge_outbox_oldest_age_seconds": ("gauge", {}),
    "hikbridge_humand_budget_remaining": ("gauge", {}),
    "hikbridge_pace_wait_seconds": ("histogram", {"upstream": {"hikcentral", "humand"}}),
    "hikbridge_delivery_paused": ("gauge", {}),
    "hikbridge_upstream_request_duration_seconds": ("histogram", {"upstream": {"hikcentral", "humand"}, "operation": None, "status": None}),
    "hikbridge_worker_up": ("gauge", {"worker": {"leadership", "inbox_writer", "decider", "poller", "reconciler", "delivery", "retention", "sync_jobs", "lifecycle_schedule", "alerts"}}),
    "hikbridge_lifecycle_actions_total": ("counter", {"action": {"register", "refresh_face", "refresh_person", "revoke", "restore", "erase", "unmanaged", "skip"}, "outcome": {"ok", "refused", "partial", "skipped", "failed"}}),
    "hikbridge_lifecycle_plan_held": ("gauge", {}),
    "hikbridge_lifecycle_erasure_halted": ("gauge", {}),
    "hikbridge_lifecycle_runs_failed_total": ("counter", {}),
    "hikbridge_lifecycle_erasure_halts_total": ("counter", {}),
    "hikbridge_access_denied_total": ("counter", {"client": None}),
    "hikbridge_audit_write_failures_total": ("counter", {}),
    "hikbridge_sync_job_items_total": ("counter", {"outcome": None}),
    "hikbridge_store_write_failing": ("gauge", {}),
    "hikbridge_poller_failing": ("gauge", {}),
}
series = {"up": {}}
for name, (kind, labels) in M.items():
    if kind == "histogram":
        series[name + "_bucket"] = {**labels, "le": None}
        series[name + "_count"] = dict(labels)
        series[name + "_sum"] = dict(labels)
    else:
        series[name] = labels
common = {"job": None, "instance": None}
all_labels = set(common) | {l for v in series.values() for l in v}

problems = []
def check_expr(where, expr):
    plain = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    names = set(re.findall(r'\b(hikbridge_[a-z0-9_]+)', plain))
    names |= {m for m in re.findall(r'\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]', plain)
              if m not in ("by", "without", "on", "ignoring", "group_left", "group_right")}
    for n in sorted(names):
        if n not in series:
            problems.append(f"{where}: unknown metric {n}")
    for n, body in re.findall(r'\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}', expr):
        allowed = {**common, **series.get(n, {})}
        for lab, op, val in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', body):
            if lab not in allowed:
                problems.append(f"{where}: {n} has no label {lab}")
            elif op == "=" and allowed[lab] is not None and val not in allowed[lab]:
                problems.append(f"{where}: {n}{{{lab}}} has no value {val!r}")
    for group in re.findall(r'\b(?:by|without)\s*\(([^)]*)\)', plain):
        for lab in filter(None, (l.strip() for l in group.split(","))):
            if lab not in all_labels:
                problems.append(f"{where}: grouping by unknown label {lab}")

# Dashboard: structure and queries.
d = json.load(open(f"{here}/grafana/hikbridge-dashboard.json"))
assert d["schemaVersion"] == 39, "schemaVersion must be 39"
ds_vars = [v for v in d["templating"]["list"] if v["name"] == "DS_PROMETHEUS" and v["type"] == "datasource"]
if not ds_vars:
    problems.append("dashboard: no DS_PROMETHEUS datasource variable")
ids, cells, exprs = set(), {}, []
for p in d["panels"]:
    if p["id"] in ids:
        problems.append(f"dashboard: duplicate panel id {p['id']}")
    ids.add(p["id"])
    g = p["gridPos"]
    if g["x"] + g["w"] > 24:
        problems.append(f"dashboard: panel {p['title']!r} is wider than the grid")
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                problems.append(f"dashboard: {p['title']!r} overlaps {cells[(x, y)]!r}")
                break
            cells[(x, y)] = p["title"]
    if p["type"] == "row":
        continue
    if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
        problems.append(f"dashboard: panel {p['title']!r} does not use ${{DS_PROMETHEUS}}")
    for t in p["targets"]:
        if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append(f"dashboard: a query of {p['title']!r} does not use ${{DS_PROMETHEUS}}")
        check_expr(f"dashboard {p['title']!r}", t["expr"])
        exprs.append((p["title"], t["expr"]))
for v in d["templating"]["list"]:
    if v["type"] == "query":
        check_expr(f"dashboard variable {v['name']}", v["definition"])
# For promtool: each dashboard query as a recording rule, Grafana's variables replaced.
subst = lambda e: (e.replace("$__rate_interval", "5m").replace("$job", ".*").replace("$instance", ".*"))
rules = {"groups": [{"name": "dashboard", "rules": [
    {"record": f"dashboard:query_{i}", "expr": subst(e)} for i, (_, e) in enumerate(exprs)]}]}
yaml.safe_dump(rules, open(rules_out, "w"))

# Alerts.
alerts = yaml.safe_load(open(f"{here}/prometheus/alerts.yml"))
for g in alerts["groups"]:
    for r in g["rules"]:
        name = r.get("alert") or r.get("record")
        check_expr(f"alerts {name}", r["expr"])
        if "alert" in r:
            if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                problems.append(f"alerts {name}: no severity label")
            for a in ("summary", "description"):
                if not r.get("annotations", {}).get(a):
                    problems.append(f"alerts {name}: no {a} annotation")
for f in ("prometheus/prometheus.yml", "prometheus/alerts_test.yml"):
    yaml.safe_load(open(f"{here}/{f}"))

# config.example.toml: only known keys, no secrets.
def flat(t, prefix=""):
    for k, v in t.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flat(v, key + ".")
        else:
            yield key
known = set(flat(tomllib.load(open(f"{repo}/config/default.toml", "rb"))))
example = set(flat(tomllib.load(open(f"{here}/config.example.toml", "rb"))))
for k in sorted(example - known):
    problems.append(f"config.example.toml: unknown key {k}")
for k in ("hikcentral.app_secret", "humand.api_key", "api.tokens", "events.callback_secret", "siad.password"):
    if k in example:
        problems.append(f"config.example.toml: the secret {k} must not be in a configuration file")
env_keys = [l.split("=", 1)[0].lstrip("# ").strip() for l in open(f"{here}/env.example")
            if re.match(r"^#?\s*HIKBRIDGE__\w+=", l)]
for v in env_keys:
    dotted = ".".join(p.lower() for p in v[len("HIKBRIDGE__"):].split("__"))
    # A secret has no key of its own, only its `*_file` key (secrets come from the environment).
    if dotted not in known and dotted + "_file" not in known:
        problems.append(f"env.example: {v} is no key ({dotted})")

if problems:
    print("\n".join("FAIL: " + p for p in problems))
    sys.exit(1)
print(f"ok: {len(exprs)} dashboard queries and the alert rules use only hikbridge's metrics and labels")
print(f"ok: config.example.toml uses {len(example)} known keys; env.example names {len(env_keys)} known variables")
PY

if command -v promtool >/dev/null; then
  (cd "$here/prometheus" && promtool check rules alerts.yml && promtool test rules alerts_test.yml \
     && promtool check config prometheus.yml) || fail=1
  promtool check rules "$tmp/dashboard_rules.yml" >/dev/null && echo "ok: every dashboard query parses (promtool)" || fail=1
else
  echo "skip: promtool not installed (apt-get install prometheus)"
fi

if command -v systemd-analyze >/dev/null; then
  # verify wants the ExecStart binary to exist: check a copy that runs /bin/true instead.
  sed 's#^ExecStart=/usr/local/bin/hikbridge#ExecStart=/bin/true#' "$here/systemd/hikbridge.service" > "$tmp/hikbridge.service"
  cp "$here/systemd/hikbridge.socket" "$tmp/hikbridge.socket"
  if out="$(systemd-analyze verify "$tmp/hikbridge.service" "$tmp/hikbridge.socket" 2>&1)" && [ -z "$out" ]; then
    echo "ok: systemd-analyze verify hikbridge.service hikbridge.socket"
  else
    echo "$out"; fail=1
  fi
else
  echo "skip: systemd-analyze not installed"
fi

exit "$fail"
