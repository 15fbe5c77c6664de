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
    # Each user's entry comes with its instance (`_nixcfg.packages`).
    users = builtins.listToAttrs (
      builtins.concatLists (builtins.catAttrs "packages" (builtins.catAttrs "_nixcfg" (builtins.attrValues config.users.users)))
    );
  };
}
