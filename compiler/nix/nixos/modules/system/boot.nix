{ config, lib, ... }:
{
  options.boot = {
    isContainer = lib.mkOption {
      type = lib.types.bool;
      default = config.boot.isNspawnContainer;
      description = "Whether this system runs inside a container (no kernel, no boot loader, no firewall).";
    };
    isNspawnContainer = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether this system runs in a systemd-nspawn container.";
    };
    enableContainers = lib.mkOption {
      type = lib.types.bool;
      default = config.containers != { };
      defaultText = lib.literalExpression "config.containers != { }";
      description = "Whether to enable support for NixOS containers.";
    };
  };
}
