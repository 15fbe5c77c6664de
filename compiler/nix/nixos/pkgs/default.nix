# The package set configurations get as `pkgs` when no nixpkgs is found:
# every attribute is an opaque package — type `package`, a name and a
# placeholder store path — so that `with pkgs; [ vim ]`, `pkgs.zsh` and
# "${pkgs.curl}/bin/curl" type-check and build into a tree that names the
# packages it still needs. Nothing here can be built.
# A set, not a function: an import's value is kept for the process, so
# every evaluation in a kept evaluator gets the same object (the language
# server's reuse names it by address).
let
  lib = import ../../lib;
  # A placeholder store path: deterministic, valid store-path syntax.
  # (Hex digits with `e`, which Nix's base-32 alphabet lacks, replaced;
  # plain builtins so that Nix 2.8 evaluates it the same for benchmarks.)
  storePath =
    name:
    let
      hex = builtins.hashString "sha256" "nixcfg-opaque-package:${name}";
    in
    "/nix/store/${builtins.replaceStrings [ "e" ] [ "z" ] (builtins.substring 0 32 hex)}-${name}";

  opaque = name: extra:
    let
      self = {
        type = "derivation";
        inherit name;
        pname = name;
        version = "";
        outPath = storePath name;
        drvPath = storePath "${name}.drv";
        outputs = [ "out" ];
        outputName = "out";
        out = self;
        meta = { description = "${name} (opaque: no nixpkgs was found)"; };
        passthru = { };
        # Marks a package nixcfg cannot build; `build` lists them.
        _nixcfgOpaque = true;
      } // extra;
    in
    self;

  shells = {
    bash = "/bin/bash";
    bashInteractive = "/bin/bash";
    zsh = "/bin/zsh";
    fish = "/bin/fish";
    dash = "/bin/dash";
    nushell = "/bin/nu";
    xonsh = "/bin/xonsh";
    tcsh = "/bin/tcsh";
    ksh = "/bin/ksh";
    shadow = "/bin/nologin";
  };

  names = import ./names.nix;
in
lib.genAttrs names (n: opaque n (lib.optionalAttrs (shells ? ${n}) { shellPath = shells.${n}; }))
// {
  # Not packages, but read by modules the way nixpkgs provides them.
  runtimeShell = "/bin/sh";
  lib = lib;
  _nixcfgOpaque = true;
}
