#!/usr/bin/env python3
"""Replays edits to a configuration through `nixcfg lsp` (raw JSON-RPC over
stdio, no dependencies) and measures the time from each change to its
diagnostics, the time of completion requests, and the server's memory
afterwards.
    replay.py NIXCFG CONFIG_FILE EDITS
Each edit changes one user's description (a one-line change, as typing
does) and asks for a completion inside `users.users.<name>`. Diagnostics
are timed three times: the first published (syntax, scopes, lints, option
checks without evaluation), the evaluated ones of the edited definitions
(`nixcfg/diagnosticsFocused`), and the final ones of the whole evaluation
(`nixcfg/diagnosticsComplete`)."""
import json, os, subprocess, sys, time

nixcfg, path, edits = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3])
p = subprocess.Popen([nixcfg, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
uri = "file://" + path


def send(m):
    b = json.dumps(m).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
    p.stdin.flush()


def recv():
    h = b""
    while not h.endswith(b"\r\n\r\n"):
        h += p.stdout.read(1)
    n = int(h.split(b":")[1].split(b"\r")[0])
    return json.loads(p.stdout.read(n))


def wait(pred):
    while True:
        m = recv()
        if pred(m):
            return m


send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
wait(lambda m: m.get("id") == 0)
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
text = open(path).read()
lines = text.split("\n")
targets = [i for i, l in enumerate(lines) if 'description = "User ' in l]
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}})
wait(lambda m: m.get("method") == "nixcfg/diagnosticsComplete" and m["params"].get("version") == 1)
diag, focused, final, comp = [], [], [], []
for k in range(edits):
    i = targets[k % len(targets)]
    lines[i] = lines[i].replace('description = "User ', 'description = "Edited User ', 1)
    version = k + 2
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": "\n".join(lines)}]}})
    wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version)
    diag.append(time.perf_counter() - t)
    # The diagnostics that need the evaluation (of a configuration.nix)
    # come after the first ones: those of the edited definitions
    # (nixcfg/diagnosticsFocused), then those of the whole configuration
    # (nixcfg/diagnosticsComplete).
    m = wait(lambda m: m.get("method") in ("nixcfg/diagnosticsFocused", "nixcfg/diagnosticsComplete") and m["params"].get("version") == version)
    focused.append(time.perf_counter() - t)
    if m["method"] == "nixcfg/diagnosticsFocused":
        wait(lambda m: m.get("method") == "nixcfg/diagnosticsComplete" and m["params"].get("version") == version)
    final.append(time.perf_counter() - t)
    col = lines[i].index("isNormalUser")
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "id": 1000 + k, "method": "textDocument/completion", "params": {"textDocument": {"uri": uri}, "position": {"line": i, "character": col + 3}}})
    r = wait(lambda m: m.get("id") == 1000 + k)
    comp.append(time.perf_counter() - t)
    assert r.get("result"), "completion answered"
rss = 0
with open("/proc/%d/status" % p.pid) as f:
    for l in f:
        if l.startswith("VmRSS:"):
            rss = int(l.split()[1]) // 1024
send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
wait(lambda m: m.get("id") == 99)
send({"jsonrpc": "2.0", "method": "exit"})
p.wait()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


# REPLAY_TIMES=FILE: each edit's first, evaluated and final times (ms).
if os.environ.get("REPLAY_TIMES"):
    with open(os.environ["REPLAY_TIMES"], "w") as f:
        for row in zip(diag, focused, final):
            f.write("%.1f %.1f %.1f\n" % tuple(x * 1000 for x in row))
print("%d lines, %d edits" % (len(lines), edits))
print("first diagnostics after an edit: p50 %.1f ms, p95 %.1f ms" % (pct(diag, 0.5), pct(diag, 0.95)))
print("evaluated diagnostics of the edit: p50 %.1f ms, p95 %.1f ms" % (pct(focused, 0.5), pct(focused, 0.95)))
print("final diagnostics after an edit: p50 %.1f ms, p95 %.1f ms" % (pct(final, 0.5), pct(final, 0.95)))
print("completion: p50 %.1f ms, p95 %.1f ms" % (pct(comp, 0.5), pct(comp, 0.95)))
print("server memory after the replay: %d MiB" % rss)
