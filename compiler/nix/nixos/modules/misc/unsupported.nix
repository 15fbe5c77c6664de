# Namespaces nixcfg declares completely: an undeclared option inside one of
# them is an error (with "did you mean"); outside them it is reported as
# not compiled.
{ lib, ... }:
{
  options._nixcfg.closedNamespaces = lib.mkOption {
    internal = true;
    type = lib.types.listOf (lib.types.listOf lib.types.str);
    default = [
      [ "users" ]
      [ "containers" ]
      [ "systemd" "services" ]
      [ "systemd" "targets" ]
      [ "systemd" "timers" ]
      [ "systemd" "tmpfiles" ]
      [ "services" "openssh" ]
      [ "networking" "firewall" ]
      [ "environment" "etc" ]
      [ "boot" ]
      [ "system" ]
      [ "assertions" ]
      [ "warnings" ]
    ];
    description = "Option paths under which nixcfg declares every option.";
  };
}
