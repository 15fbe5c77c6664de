# Evaluates a NixOS-style system: nixcfg's modules plus the user's.
# `import <nixcfg/nixos/eval-config.nix> { modules = [ ./configuration.nix ]; }`
# returns evalModules' result; `config.system.build` holds what `nixcfg
# build` writes. Containers evaluate their inner `config` through this
# same function (with `boot.isContainer = true`).
{
  modules,
  specialArgs ? { },
  prefix ? [ ],
  # false: undeclared options are collected (in `_nixcfgUnmatched`), not thrown.
  check ? true,
  # The user's nixpkgs when one was found; otherwise an opaque set.
  pkgs ? null,
  lib ? import ../lib,
}:
let
  pkgs' = if pkgs != null then pkgs else import ./pkgs;
in
lib.evalModules {
  inherit prefix;
  modules =
    import ./modules/module-list.nix
    ++ [
      {
        _file = "<nixcfg/nixos/eval-config.nix>";
        _module.args.pkgs = lib.mkDefault pkgs';
        _module.check = check;
      }
    ]
    ++ modules;
  specialArgs = {
    modulesPath = ./modules;
    nixcfg = { inherit check pkgs; };
  } // specialArgs;
}
