{ config, lib, ... }:
{
  options.environment.systemPackages = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    example = lib.literalExpression "[ pkgs.firefox pkgs.thunderbird ]";
    description = "Packages installed in the system profile (/run/current-system/sw).";
  };
  config.system.build.packages = {
    system = config.environment.systemPackages;
    users = lib.mapAttrs (_: u: u.packages) (lib.filterAttrs (_: u: u.enable && u.packages != [ ]) config.users.users);
  };
}
