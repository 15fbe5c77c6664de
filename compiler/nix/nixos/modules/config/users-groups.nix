# users.users, users.groups and the activation spec (users-groups.json),
# with NixOS's names, defaults and assertions (docs/reference: users-groups.md).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption mkDefault mkIf types;
  cfg = config.users;
  utils = import ../../lib/utils.nix { inherit lib; };
  ids = config.ids;

  passwdEntry =
    type:
    lib.types.addCheck type (x: !(lib.isString x) || (!lib.hasInfix ":" x && !lib.hasInfix "\n" x))
    // {
      name = "passwdEntry ${type.name}";
      description = "${type.description}, not containing newlines or colons";
    };

  shellType = types.either types.package (passwdEntry types.path);

  subordinateRange =
    idName:
    types.submodule {
      options = {
        "start${idName}" = mkOption {
          type = types.int;
          description = "Start of the range of subordinate ${lib.toLower idName}s.";
        };
        count = mkOption {
          type = types.int;
          default = 1;
          description = "Count of subordinate ${lib.toLower idName}s.";
        };
      };
    };

  userOpts =
    { name, config, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether the user is created; a disabled user is left out of the system.";
        };
        name = mkOption {
          type = passwdEntry types.str;
          apply =
            x:
            assert (
              builtins.stringLength x < 32
              || abort "Username '${x}' is longer than 31 characters which is not allowed!"
            );
            x;
          description = "The name of the user account (defaults to the attribute name).";
        };
        description = mkOption {
          type = passwdEntry types.str;
          default = "";
          example = "Alice Q. User";
          description = "A short description of the user account (the GECOS field).";
        };
        uid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The account UID; null allocates one at activation.";
        };
        isSystemUser = mkOption {
          type = types.bool;
          default = false;
          description = "Whether this is a system user (UID allocated below 1000).";
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
          description = ''
            Whether this is a real user: sets `group` to `users`, `createHome`,
            `home` to {option}`users.defaultUserHome`/name, `useDefaultShell`
            and `isSystemUser = false`.
          '';
        };
        group = mkOption {
          type = types.str;
          apply =
            x:
            assert (
              builtins.stringLength x < 32
              || abort "Group name '${x}' is longer than 31 characters which is not allowed!"
            );
            x;
          default = "";
          description = "The user's primary group.";
        };
        extraGroups = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "The user's auxiliary groups.";
        };
        home = mkOption {
          type = passwdEntry types.path;
          default = "/var/empty";
          description = "The user's home directory.";
        };
        homeMode = mkOption {
          type = types.strMatching "[0-7]{1,5}";
          default = "700";
          description = "The mode of the home directory when it is created.";
        };
        cryptHomeLuks = mkOption {
          type = with types; nullOr str;
          default = null;
          description = "Path to the user's LUKS-encrypted home (not compiled by nixcfg).";
        };
        pamMount = mkOption {
          type = with types; attrsOf str;
          default = { };
          description = "Attributes for pam_mount (not compiled by nixcfg).";
        };
        shell = mkOption {
          type = types.nullOr shellType;
          default = pkgs.shadow;
          defaultText = lib.literalExpression "pkgs.shadow";
          example = lib.literalExpression "pkgs.bashInteractive";
          description = "The user's login shell (a shell package or a path).";
        };
        ignoreShellProgramCheck = mkOption {
          type = types.bool;
          default = false;
          description = "Do not check that the shell's program is enabled.";
        };
        subUidRanges = mkOption {
          type = with types; listOf (subordinateRange "Uid");
          default = [ ];
          description = "Subordinate user ids the user may use.";
        };
        subGidRanges = mkOption {
          type = with types; listOf (subordinateRange "Gid");
          default = [ ];
          description = "Subordinate group ids the user may use.";
        };
        autoSubUidGidRange = mkOption {
          type = types.bool;
          default = false;
          description = "Allocate a range of 65536 subordinate uids and gids automatically.";
        };
        createHome = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to create the home directory and give it to the user.";
        };
        useDefaultShell = mkOption {
          type = types.bool;
          default = false;
          description = "Use {option}`users.defaultUserShell` as the shell.";
        };
        hashedPassword = mkOption {
          type = with types; nullOr (passwdEntry str);
          default = null;
          description = "The hashed password (crypt(3) format, e.g. from `mkpasswd`).";
        };
        password = mkOption {
          type = with types; nullOr str;
          default = null;
          description = "The password in clear text — readable by every user of the system; prefer a hash.";
        };
        hashedPasswordFile = mkOption {
          type = with types; nullOr str;
          default = config.passwordFile;
          defaultText = lib.literalExpression "null";
          description = "A file holding the hashed password, read at activation.";
        };
        passwordFile = mkOption {
          type = with types; nullOr str;
          default = null;
          visible = false;
          description = "Deprecated: use `hashedPasswordFile`.";
        };
        initialHashedPassword = mkOption {
          type = with types; nullOr (passwdEntry str);
          default = null;
          description = "The hashed password set when the user is created.";
        };
        initialPassword = mkOption {
          type = with types; nullOr str;
          default = null;
          description = "The clear-text password set when the user is created.";
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
          description = "Packages installed in the user's profile.";
        };
        expires = mkOption {
          type = types.nullOr (types.strMatching "[[:digit:]]{4}-[[:digit:]]{2}-[[:digit:]]{2}");
          default = null;
          description = "The date (YYYY-MM-DD) on which the account expires.";
        };
        linger = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Whether the user's services keep running after logout.";
        };
        # nixcfg only: what the system takes from each user, computed in
        # the instance so that the language server reuses it with the
        # instance instead of computing it again for every user.
        _nixcfg = mkOption {
          internal = true;
          readOnly = true;
          type = types.unspecified;
          description = "Of an enabled user: its users-groups.json entry, the groups it joins, its uid, its primary group, its packages and its failed assertions.";
        };
      };

      config = lib.mkMerge [
        {
          name = mkDefault name;
          shell = mkIf config.useDefaultShell (mkDefault cfg.defaultUserShell);
          # Of an enabled user only, and as lists or sets that the host
          # concatenates (`userRecords`): no Nix call per user there.
          _nixcfg = {
            specs = lib.optional config.enable (userSpec config);
            memberOf = if config.enable then builtins.listToAttrs (map (g: { name = g; value = config.name; }) config.extraGroups) else { };
            uids = lib.optional (config.enable && config.uid != null) config.uid;
            primaryGroup = if config.enable && config.group != "" then { ${config.group} = config.name; } else { };
            # `system.build.packages.users`' entry.
            packages = lib.optional (config.enable && config.packages != [ ]) { inherit name; value = config.packages; };
            failedAssertions = if config.enable then builtins.filter (a: !a.assertion) (userAssertions name config) else [ ];
          };
        }
        (mkIf config.isNormalUser {
          group = mkDefault "users";
          createHome = mkDefault true;
          home = mkDefault "${cfg.defaultUserHome}/${config.name}";
          homeMode = mkDefault "700";
          useDefaultShell = mkDefault true;
          isSystemUser = mkDefault false;
        })
        (mkIf (config.isNormalUser && config.subUidRanges == [ ] && config.subGidRanges == [ ]) {
          autoSubUidGidRange = mkDefault true;
        })
        (mkIf (!cfg.mutableUsers && config.initialPassword != null) {
          password = mkDefault config.initialPassword;
        })
        (mkIf (!cfg.mutableUsers && config.initialHashedPassword != null) {
          hashedPassword = mkDefault config.initialHashedPassword;
        })
      ];
    };

  groupOpts =
    { name, config, ... }:
    {
      options = {
        name = mkOption {
          type = passwdEntry types.str;
          description = "The name of the group (defaults to the attribute name).";
        };
        gid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The group GID; null allocates one at activation.";
        };
        members = mkOption {
          type = with types; listOf (passwdEntry str);
          default = [ ];
          description = "The user names of the group members, added to those of `extraGroups`.";
        };
      };
      config = {
        name = mkDefault name;
        members = membersByGroup.${config.name} or [ ];
      };
    };

  enabledUsers = lib.filterAttrs (_: u: u.enable) cfg.users;

  # What each user gives the system (`_nixcfg`), in user order.
  userRecords = builtins.catAttrs "_nixcfg" (builtins.attrValues cfg.users);

  # Each group's members from the enabled users' `extraGroups`, in user
  # order, each user once: one pass over the users for all groups (a
  # filter per group would read every user once per group).
  membersByGroup = builtins.zipAttrsWith (_: names: names) (
    builtins.catAttrs "memberOf" userRecords
  );

  # A user's entry in users-groups.json.
  userSpec = u: {
      inherit (u)
        name
        uid
        group
        description
        home
        homeMode
        createHome
        isSystemUser
        password
        hashedPasswordFile
        hashedPassword
        autoSubUidGidRange
        subUidRanges
        subGidRanges
        initialPassword
        initialHashedPassword
        expires
        ;
      shell = utils.toShellPath u.shell;
    };

  # users-groups.json, exactly as NixOS hands it to its updater.
  spec = {
    inherit (cfg) mutableUsers;
    users = builtins.concatLists (builtins.catAttrs "specs" userRecords);
    groups = builtins.attrValues cfg.groups;
  };

  nameRegex = "[a-zA-Z0-9_.][a-zA-Z0-9_.-]*";

  # Whether an id occurs twice: fewer distinct ids than ids (natively:
  # `lib.unique` is quadratic in the number of users, a sort makes a Nix
  # call per pair).
  duplicates = ids': builtins.length (builtins.attrNames (builtins.groupBy toString ids')) != builtins.length ids';

  uidsAreUnique = !duplicates (builtins.concatLists (builtins.catAttrs "uids" userRecords));
  gidsAreUnique = !duplicates (lib.filter (x: x != null) (lib.mapAttrsToList (_: g: g.gid) cfg.groups));

  groupNames = lib.mapAttrsToList (_: g: g.name) cfg.groups;
  # Whether a user's primary group is undefined: the groups users name,
  # less the defined ones (no Nix call per user); `usersWithUndefinedGroup`
  # says which, for the message.
  undefinedPrimaryGroups = removeAttrs (builtins.zipAttrsWith (_: names: names) (
    builtins.catAttrs "primaryGroup" userRecords
  )) groupNames;
  usersWithUndefinedGroup = lib.filterAttrs (
    _: u: u.group != "" && !(builtins.elem u.group groupNames)
  ) enabledUsers;

  hasLogin =
    u:
    u.hashedPassword != null && !(lib.hasPrefix "!" u.hashedPassword || lib.hasPrefix "*" u.hashedPassword)
    || u.password != null
    || u.hashedPasswordFile != null
    || (u.openssh.authorizedKeys.keys or [ ]) != [ ]
    || (u.openssh.authorizedKeys.keyFiles or [ ]) != [ ];

  passwordOptions = [
    "hashedPassword"
    "hashedPasswordFile"
    "password"
  ];

  # The assertions about one user `u` (attribute name `n`).
  userAssertions = n: u: [
    {
      assertion = builtins.match nameRegex u.name != null;
      message = ''The username "${u.name}" is not valid, it does not match the regex "${nameRegex}".'';
    }
    {
      assertion = u.hashedPassword == null || !lib.hasInfix ":" u.hashedPassword;
      message = ''
        The password hash of user "${u.name}" contains a ":" character.
        This is invalid and would break the login system because the fields
        of /etc/shadow (file where hashes are stored) are colon-separated.
        Please check the value of option `users.users."${n}".hashedPassword`.'';
    }
    {
      assertion = !(u.isNormalUser && u.uid != null && u.uid < 1000);
      message = ''
        A user cannot have a users.users.${n}.uid set below 1000 and set users.users.${n}.isNormalUser.
        Either set users.users.${n}.isSystemUser = true or set users.users.${n}.uid to a value >= 1000.'';
    }
    {
      assertion =
        let
          isEffectivelySystemUser = u.isSystemUser || (u.uid != null && u.uid < 1000);
        in
        lib.xor isEffectivelySystemUser u.isNormalUser;
      message = ''
        Exactly one of users.users.${n}.isSystemUser and users.users.${n}.isNormalUser must be set.'';
    }
    {
      assertion = u.group != "";
      message = ''
        users.users.${n}.group is unset. This used to default to
        nogroup, but this is unsafe. For example you can create a group
        for this user with:
        users.users.${n}.group = "${n}";
        users.groups.${n} = {};'';
    }
    {
      assertion = u.linger == null || cfg.manageLingering;
      message = ''
        users.manageLingering is set to false, but users.users.${n}.linger is configured.'';
    }
    {
      assertion = !(cfg.mutableUsers == false && u.shell == null);
      message = ''
        users.mutableUsers = false has been set,
        but found users that have their shell set to null.
        If you wish to disable login, set their shell to pkgs.shadow (the default).
        Misconfigured users: ${n}'';
    }
  ];
in
{
  imports = [
    (lib.mkAliasOptionModule [ "users" "extraUsers" ] [ "users" "users" ])
    (lib.mkAliasOptionModule [ "users" "extraGroups" ] [ "users" "groups" ])
  ];

  options = {
    users.mutableUsers = mkOption {
      type = types.bool;
      default = true;
      description = ''
        If true, users and groups made outside the configuration are kept,
        and passwords of existing users are left alone. If false, the
        configuration is the whole truth about users and groups.
      '';
    };
    users.enforceIdUniqueness = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to require that no two users or groups share an id.";
    };
    users.allowNoPasswordLogin = mkOption {
      type = types.bool;
      default = false;
      description = "Allow a configuration where no root or wheel user can log in (with mutableUsers = false).";
    };
    users.defaultUserHome = mkOption {
      type = types.str;
      default = "/home";
      description = "The directory under which normal users' homes are made.";
    };
    users.defaultUserShell = mkOption {
      type = shellType;
      default = pkgs.bashInteractive;
      defaultText = lib.literalExpression "pkgs.bashInteractive";
      description = "The shell of users with `useDefaultShell` (normal users and root).";
    };
    users.manageLingering = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to manage lingering of users' services.";
    };
    users.users = mkOption {
      # Reusable: an instance reads only its definitions and `users.*` options
      # outside every instance (`builtins.nixcfgReuse`).
      type = types.attrsOf (types.submoduleWith { modules = [ userOpts ]; shorthandOnlyDefinesConfig = true; nixcfgReusable = true; });
      default = { };
      example = {
        alice = {
          uid = 1234;
          description = "Alice Q. User";
          home = "/home/alice";
          createHome = true;
          group = "users";
          extraGroups = [ "wheel" ];
          shell = "/bin/sh";
        };
      };
      description = "The user accounts of the system.";
    };
    users.groups = mkOption {
      # Reusable: an instance reads its definitions and, outside them, the
      # members the users' `extraGroups` give it (part of its fingerprint).
      type = types.attrsOf (types.submoduleWith {
        modules = [ groupOpts ];
        shorthandOnlyDefinesConfig = true;
        nixcfgReusable = true;
        nixcfgReuseWith = [ membersByGroup ];
      });
      default = { };
      example = {
        students.gid = 1001;
        hackers = { };
      };
      description = "The groups of the system.";
    };
  };

  config = {
    system.build.usersGroupsSpec = spec;

    users.users = {
      root = {
        uid = ids.uids.root;
        description = "System administrator";
        home = "/root";
        shell = mkDefault cfg.defaultUserShell;
        group = "root";
      };
      nobody = {
        uid = ids.uids.nobody;
        isSystemUser = true;
        description = "Unprivileged account (don't use!)";
        group = "nogroup";
      };
    };

    users.groups = lib.genAttrs [
      "root"
      "wheel"
      "disk"
      "kmem"
      "tty"
      "floppy"
      "uucp"
      "lp"
      "cdrom"
      "tape"
      "audio"
      "video"
      "dialout"
      "nogroup"
      "users"
      "nixbld"
      "utmp"
      "adm"
      "input"
      "kvm"
      "render"
      "sgx"
      "shadow"
    ] (g: { gid = ids.gids.${g}; });

    assertions =
      [
        {
          assertion = !cfg.enforceIdUniqueness || (uidsAreUnique && gidsAreUnique);
          message = "UIDs and GIDs must be unique!";
        }
        {
          assertion = undefinedPrimaryGroups == { };
          message =
            let
              users = lib.attrValues usersWithUndefinedGroup;
            in
            ''
              The following users have a primary group that is undefined: ${
                lib.concatMapStringsSep " " (u: u.name) users
              }
              Hint: Add this to your NixOS configuration:
              ${lib.concatMapStringsSep "\n" (u: "  users.groups.${u.group} = {};") users}'';
        }
        {
          assertion =
            cfg.mutableUsers
            || cfg.allowNoPasswordLogin
            || lib.any (u: u.name == "root" || builtins.elem "wheel" u.extraGroups) (
              lib.filter hasLogin (lib.attrValues enabledUsers)
            );
          message = ''
            Neither the root account nor any wheel user has a password or SSH authorized key.
            You must set one to prevent being locked out of your system.
            If you really want to be locked out of your system, set users.allowNoPasswordLogin = true;
            However you are most probably better off by setting users.mutableUsers = true; and
            manually running passwd root to set the root password.'';
        }
      ]
      # Each user's own, checked in its instance (`_nixcfg`): only the
      # failed ones are listed (a difference from NixOS, whose list has
      # every assertion; see docs/differences.md).
      ++ builtins.concatLists (builtins.catAttrs "failedAssertions" userRecords);

    warnings =
      builtins.concatLists (
        lib.mapAttrsToList (
          n: u:
          let
            set = lib.filter (o: u.${o} != null) passwordOptions;
          in
          lib.optional (builtins.length set > 1) ''
            The user '${u.name}' has multiple of the options
            `hashedPassword`, `password` and `hashedPasswordFile` set: ${lib.concatStringsSep ", " set}.
            Only one is used, in this order of precedence: hashedPasswordFile, password, hashedPassword.''
          ++ lib.optional (
            u.hashedPassword != null
            && u.hashedPassword != ""
            && !lib.hasPrefix "!" u.hashedPassword
            && !lib.hasPrefix "*" u.hashedPassword
            && builtins.match "\\$[^$]+\\$.*" u.hashedPassword == null
          ) ''The password hash of user "${u.name}" may be invalid. You must set a valid hash or the user will be locked out of their account. Please check the value of option `users.users."${n}".hashedPassword`.''
          ++ lib.optional (u.passwordFile != null)
            "The option `users.users.\"${n}\".passwordFile' has been renamed to `users.users.\"${n}\".hashedPasswordFile'."
        ) enabledUsers
      );
  };
}
