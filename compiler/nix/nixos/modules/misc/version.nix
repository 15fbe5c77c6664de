{ lib, ... }:
{
  options.system.stateVersion = lib.mkOption {
    type = lib.types.str;
    default = "25.11";
    example = "24.05";
    description = ''
      The NixOS release whose defaults stateful data on this system was
      created with. It picks, for example, the container directories
      (`/etc/nixos-containers` from 22.05 on, `/etc/containers` before).
    '';
  };
}
