# A small configuration: one option set declared and defined in one file.
# Try: nixcfg options examples/web/configuration.nix services.web.port
#      nixcfg check examples/web/configuration.nix
{ lib, config, ... }:
{
  options.services.web = {
    enable = lib.mkEnableOption "the web server";
    port = lib.mkOption {
      type = lib.types.port;
      default = 80;
      description = "Port the web server listens on.";
    };
    virtualHosts = lib.mkOption {
      type = lib.types.attrsOf (lib.types.submodule ({ name, ... }: {
        options.root = lib.mkOption { type = lib.types.str; default = "/var/www/${name}"; };
        options.aliases = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
      }));
      default = { };
    };
  };

  config = {
    services.web.enable = true;
    services.web.port = lib.mkForce 8080;
    services.web.virtualHosts."example.org".aliases = [ "www.example.org" ];
  };
}
