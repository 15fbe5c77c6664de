# The system tree `nixcfg build` writes: one list of files, links and
# their modes, computed from environment.etc and systemd.units. The
# passwd/group/shadow files are made by nixcfg from `users-groups.json`
# (the same code that merges them into a live host).
{ config, lib, ... }:
let
  # Units systemd itself ships: a definition of one becomes a drop-in
  # (NixOS's overrideStrategy "asDropinIfExists").
  upstreamUnits = [
    "basic.target"
    "default.target"
    "getty.target"
    "graphical.target"
    "local-fs.target"
    "machines.target"
    "multi-user.target"
    "network-online.target"
    "network-pre.target"
    "network.target"
    "nss-lookup.target"
    "remote-fs.target"
    "rescue.target"
    "shutdown.target"
    "sockets.target"
    "sysinit.target"
    "timers.target"
  ];

  unitFiles = lib.concatLists (
    lib.mapAttrsToList (
      name: u:
      let
        link = dir: target: {
          path = "etc/systemd/system/${dir}/${name}";
          symlink = "../${name}";
        };
      in
      [
        (
          if u.enable && builtins.elem name upstreamUnits then
            # Never shadow the distribution's own unit: extend it.
            {
              path = "etc/systemd/system/${name}.d/overrides.conf";
              text = u.text;
              mode = "0444";
            }
          else if u.enable then
            {
              path = "etc/systemd/system/${name}";
              text = u.text;
              mode = "0444";
            }
          else
            {
              path = "etc/systemd/system/${name}";
              symlink = "/dev/null";
            }
        )
      ]
      ++ lib.optionals u.enable (
        map (t: link "${t}.wants" name) u.wantedBy
        ++ map (t: link "${t}.requires" name) u.requiredBy
        ++ map (t: link "${t}.upholds" name) u.upheldBy
        ++ map (a: {
          path = "etc/systemd/system/${a}";
          symlink = name;
        }) u.aliases
      )
    ) config.systemd.units
  );

  etcFiles = builtins.concatLists (
    builtins.catAttrs "files" (builtins.catAttrs "_nixcfg" (builtins.attrValues config.environment.etc))
  );
in
{
  options.system.build = lib.mkOption {
    internal = true;
    type = lib.types.lazyAttrsOf lib.types.unspecified;
    default = { };
    description = "Results of the system's evaluation that `nixcfg build` writes.";
  };

  config.system.build.files = etcFiles ++ unitFiles;
}
