# An incremental // inside a fold: 10k single-attribute updates.
let
  acc = builtins.foldl' (s: i: s // { "k${toString i}" = i; }) { } (builtins.genList (i: i) 10000);
in
builtins.length (builtins.attrNames acc)
