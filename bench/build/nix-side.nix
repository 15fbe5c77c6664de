{ config }:
let
  c = import <nixcfg/nixos/eval-config.nix> { modules = [ config ]; };
  sys = cfg: [
    cfg.system.build.files
    cfg.system.build.usersGroupsSpec
    cfg.warnings
    (map (a: a.assertion) cfg.assertions)
  ];
in
builtins.toJSON ([ (sys c.config) ] ++ map (n: sys c.config.containers.${n}.config) (builtins.attrNames c.config.containers))
