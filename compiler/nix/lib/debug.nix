# Tracing helpers.
{ lib }:
rec {
  traceIf = pred: msg: x: if pred then builtins.trace msg x else x;
  traceValFn = f: x: builtins.trace (f x) x;
  traceVal = traceValFn (x: x);
  traceSeq = x: y: builtins.trace (builtins.deepSeq x x) y;
  traceValSeq = v: traceVal (builtins.deepSeq v v);
  traceValSeqFn = f: v: traceValFn f (builtins.deepSeq v v);
  traceFnSeqN = depth: name: f: v: let res = f v; in builtins.trace "${name}" res;
  runTests = tests: builtins.concatLists (lib.mapAttrsToList (name: test:
    let r = builtins.tryEval (test.expr == test.expected); in
    if r.success && r.value then [ ] else [ { inherit name; inherit (test) expected; result = test.expr; } ]) tests);
  testAllTrue = expr: { inherit expr; expected = map (x: true) expr; };
}
