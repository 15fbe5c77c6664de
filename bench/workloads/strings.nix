# String splitting and replacement over a large text.
let
  line = i: "user${toString i}:x:${toString (1000 + i)}:100:User ${toString i}:/home/user${toString i}:/bin/sh";
  text = builtins.concatStringsSep "\n" (builtins.genList line 20000);
  lines = builtins.filter builtins.isString (builtins.split "\n" text);
  fields = map (l: builtins.filter builtins.isString (builtins.split ":" l)) lines;
  replaced = builtins.replaceStrings [ "/bin/sh" "/home/" ] [ "/run/current-system/sw/bin/bash" "/var/home/" ] text;
in
builtins.length fields + builtins.stringLength replaced
