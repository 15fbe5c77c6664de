# environment.etc: files under /etc, with their modes.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  etcOpts =
    { name, config, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether this file is generated.";
        };
        target = mkOption {
          type = types.str;
          description = "Name of the file, relative to /etc (defaults to the attribute name).";
        };
        text = mkOption {
          type = types.nullOr types.lines;
          default = null;
          description = "Text of the file.";
        };
        source = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "Path of the file's source (used when `text` is null).";
        };
        mode = mkOption {
          type = types.str;
          default = "symlink";
          example = "0600";
          description = ''
            The file's mode; `symlink` installs a link to the (read-only) file,
            any octal mode a copy with that mode.
          '';
        };
        uid = mkOption {
          type = types.int;
          default = 0;
          description = "UID of the file's owner (with a mode other than symlink).";
        };
        gid = mkOption {
          type = types.int;
          default = 0;
          description = "GID of the file's group (with a mode other than symlink).";
        };
        user = mkOption {
          type = types.str;
          default = "+${toString config.uid}";
          description = "User name of the file's owner (wins over uid).";
        };
        group = mkOption {
          type = types.str;
          default = "+${toString config.gid}";
          description = "Group name of the file's group (wins over gid).";
        };
      };
      config.target = lib.mkDefault name;
      # nixcfg only: the file's record in the system's tree
      # (`system.build.files`), computed in the instance so that the
      # language server reuses it with the instance.
      options._nixcfgFile = mkOption {
        internal = true;
        readOnly = true;
        type = types.unspecified;
        description = "The file's entry in `system.build.files`.";
      };
      config._nixcfgFile =
        {
          path = "etc/${config.target}";
          mode = if config.mode == "symlink" || config.mode == "direct-symlink" then "0444" else config.mode;
          inherit (config) user group;
        }
        // (if config.text != null then { inherit (config) text; } else { source = toString config.source; });
    };
in
{
  options.environment.etc = mkOption {
    # An instance reads only its own definitions and name, so the language
    # server may take it from the evaluation before (`builtins.nixcfgReuse`).
    type = types.attrsOf (types.submoduleWith { modules = [ etcOpts ]; shorthandOnlyDefinesConfig = true; nixcfgReusable = true; });
    default = { };
    example = lib.literalExpression ''
      { "motd".text = "Welcome!\n"; "ssl/my.pem" = { source = ./my.pem; mode = "0440"; }; }
    '';
    description = "Files in /etc.";
  };

  config.assertions = lib.mapAttrsToList (n: f: {
    assertion = !f.enable || f.text != null || f.source != null;
    message = "environment.etc.\"${n}\" has neither `text' nor `source'.";
  }) config.environment.etc
  ++ lib.mapAttrsToList (n: f: {
    assertion = f.mode == "symlink" || f.mode == "direct-symlink" || builtins.match "[0-7]{3,4}" f.mode != null;
    message = "environment.etc.\"${n}\".mode is `${f.mode}', which is neither `symlink' nor an octal mode.";
  }) config.environment.etc
  ++ lib.mapAttrsToList (n: f: {
    assertion = !(lib.hasPrefix "/" f.target) && !(builtins.elem ".." (lib.splitString "/" f.target));
    message = "environment.etc.\"${n}\".target `${f.target}' must be a relative path inside /etc.";
  }) config.environment.etc;
}
