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
      # (`system.build.files`) and its failed assertions, computed in the
      # instance so that the language server reuses them with it.
      options._nixcfg = mkOption {
        internal = true;
        readOnly = true;
        type = types.unspecified;
        description = "The file's entry in `system.build.files` (none if it is not enabled) and its failed assertions.";
      };
      config._nixcfg = {
        # A list (empty for a file not enabled) that the tree concatenates.
        files = lib.optional config.enable (
          {
            path = "etc/${config.target}";
            mode = if config.mode == "symlink" || config.mode == "direct-symlink" then "0444" else config.mode;
            inherit (config) user group;
          }
          // (if config.text != null then { inherit (config) text; } else { source = toString config.source; })
        );
        failedAssertions = builtins.filter (a: !a.assertion) [
          {
            assertion = !config.enable || config.text != null || config.source != null;
            message = "environment.etc.\"${name}\" has neither `text' nor `source'.";
          }
          {
            assertion = config.mode == "symlink" || config.mode == "direct-symlink" || builtins.match "[0-7]{3,4}" config.mode != null;
            message = "environment.etc.\"${name}\".mode is `${config.mode}', which is neither `symlink' nor an octal mode.";
          }
          {
            assertion = !(lib.hasPrefix "/" config.target) && !(builtins.elem ".." (lib.splitString "/" config.target));
            message = "environment.etc.\"${name}\".target `${config.target}' must be a relative path inside /etc.";
          }
        ];
      };
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

  # Each file's own assertions, checked in its instance; only the failed
  # ones are listed (docs/differences.md).
  config.assertions = lib.concatLists (
    builtins.catAttrs "failedAssertions" (builtins.catAttrs "_nixcfg" (builtins.attrValues config.environment.etc))
  );
}
