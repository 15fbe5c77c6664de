# Version strings.
{ lib }:
rec {
  splitVersion = builtins.splitVersion;
  major = v: builtins.elemAt (splitVersion v) 0;
  minor = v: builtins.elemAt (splitVersion v) 1;
  patch = v: builtins.elemAt (splitVersion v) 2;
  majorMinor = v: builtins.concatStringsSep "." (lib.take 2 (splitVersion v));
  pad = n: version:
    let parts = splitVersion version; in
    builtins.concatStringsSep "." (parts ++ builtins.genList (_: "0") (n - builtins.length parts));
}
