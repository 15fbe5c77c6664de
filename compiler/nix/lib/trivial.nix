# Small combinators and the warning/assertion helpers.
{ lib }:
rec {
  id = x: x;
  const = x: _: x;
  flip = f: a: b: f b a;
  pipe = builtins.foldl' (x: f: f x);
  concat = x: y: x ++ y;
  "or" = x: y: x || y;
  "and" = x: y: x && y;
  xor = x: y: x != y;
  bitAnd = builtins.bitAnd;
  bitOr = builtins.bitOr;
  bitXor = builtins.bitXor;
  boolToString = b: if b then "true" else "false";
  boolToYesNo = b: if b then "yes" else "no";
  mergeAttrs = x: y: x // y;
  defaultTo = default: maybe: if maybe == null then default else maybe;
  mapNullable = f: a: if a == null then a else f a;
  min = x: y: if x < y then x else y;
  max = x: y: if x > y then x else y;
  mod = base: int: base - (int * (builtins.div base int));
  compare = a: b: if a < b then -1 else if a > b then 1 else 0;
  splitByAndCompare = p: yes: no: a: b:
    if p a then (if p b then yes a b else -1) else if p b then 1 else no a b;
  inherit (builtins) seq deepSeq;
  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));
  functionArgs = f: if f ? __functor then f.__functionArgs or (functionArgs (f.__functor f)) else builtins.functionArgs f;
  setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };
  mirrorFunctionArgs = f: g: setFunctionArgs g (functionArgs f);
  toFunction = v: if isFunction v then v else _: v;
  importJSON = path: builtins.fromJSON (builtins.readFile path);
  importTOML = path: builtins.fromTOML (builtins.readFile path);
  warn = msg: builtins.warn or (m: v: builtins.trace "evaluation warning: ${m}" v) msg;
  warnIf = cond: msg: if cond then warn msg else x: x;
  warnIfNot = cond: msg: if cond then x: x else warn msg;
  throwIf = cond: msg: if cond then throw msg else x: x;
  throwIfNot = cond: msg: if cond then x: x else throw msg;
  info = msg: builtins.trace "INFO: ${msg}";
  showWarnings = warnings: res: builtins.foldl' (r: w: warn w r) res warnings;
  checkListOfEnum = msg: valid: given:
    let unexpected = builtins.filter (v: !(builtins.elem v valid)) given;
    in if unexpected == [ ] then x: x
    else throw "${msg}: ${builtins.concatStringsSep ", " (map builtins.toString unexpected)} unexpected; valid ones: ${builtins.concatStringsSep ", " (map builtins.toString valid)}";
  inNixShell = false;
  version = "25.11pre-nixcfg";
  release = "25.11";
  oldestSupportedRelease = 2411;
  isInOldestRelease = release: release <= oldestSupportedRelease;
  oldestSupportedReleaseIsAtLeast = release: release <= oldestSupportedRelease;
  codeName = "nixcfg";
  versionSuffix = "";
  fromHexString = s: (builtins.fromTOML "v=0x${s}").v;
  toHexString = i: lib.toBaseDigits 16 i;
  toBaseDigits = base: i:
    let
      digits = "0123456789abcdef";
      go = n: if n < base then [ n ] else go (n / base) ++ [ (n - (n / base) * base) ];
    in
    builtins.concatStringsSep "" (map (d: builtins.substring d 1 digits) (go i));
}
