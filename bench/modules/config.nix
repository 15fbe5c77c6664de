# A generated NixOS-shaped configuration for the module-system benchmark:
# `users` normal users on the host and `containers` containers, each with
# its own nested system (a submodule with the same user options).
{ users ? 100, containers ? 0 }:
let
  lib = import <nixcfg/lib>;
  inherit (lib) mkOption types;

  userModule = { name, ... }: {
    options = {
      name = mkOption { type = types.str; default = name; };
      uid = mkOption { type = types.nullOr types.int; default = null; };
      isNormalUser = mkOption { type = types.bool; default = false; };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; };
      home = mkOption { type = types.str; default = "/home/${name}"; };
      shell = mkOption { type = types.str; default = "/run/current-system/sw/bin/bash"; };
      description = mkOption { type = types.str; default = ""; };
    };
  };

  groupModule = { name, ... }: {
    options = {
      gid = mkOption { type = types.nullOr types.int; default = null; };
      members = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };

  base = { config, ... }: {
    options.users.users = mkOption { type = types.attrsOf (types.submodule userModule); default = { }; };
    options.users.groups = mkOption { type = types.attrsOf (types.submodule groupModule); default = { }; };
    config.users.groups = lib.mapAttrs (n: u: { members = [ n ]; }) (lib.filterAttrs (n: u: u.isNormalUser) config.users.users);
  };

  containerModule = { name, ... }: {
    options = {
      config = mkOption { type = types.submodule { imports = [ base ]; }; default = { }; };
      autoStart = mkOption { type = types.bool; default = false; };
      hostAddress = mkOption { type = types.nullOr types.str; default = null; };
    };
  };

  system = {
    imports = [ base ];
    options.containers = mkOption { type = types.attrsOf (types.submodule containerModule); default = { }; };
  };

  definitions = {
    users.users = lib.listToAttrs (lib.genList (i: lib.nameValuePair "user${toString i}" {
      uid = 1000 + i;
      isNormalUser = true;
      extraGroups = [ "users" ] ++ lib.optional (lib.mod i 10 == 0) "wheel";
      description = "User number ${toString i}";
    }) users);
    containers = lib.listToAttrs (lib.genList (i: lib.nameValuePair "c${toString i}" {
      autoStart = true;
      hostAddress = "10.233.${toString (i / 250)}.${toString (lib.mod i 250 + 1)}";
      config.users.users.admin = { uid = 1000; isNormalUser = true; extraGroups = [ "wheel" ]; };
    }) containers);
  };

  result = lib.evalModules { modules = [ system definitions ]; };
in
builtins.deepSeq result.config (builtins.length (builtins.attrNames result.config.users.users) + builtins.length (builtins.attrNames result.config.containers))
