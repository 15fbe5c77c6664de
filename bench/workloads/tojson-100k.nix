# toJSON of 100k records.
builtins.stringLength (builtins.toJSON (builtins.genList (i: {
  name = "user${toString i}";
  uid = 1000 + i;
  groups = [ "users" "wheel" ];
  home = "/home/user${toString i}";
  enabled = i / 2 * 2 == i;
}) 100000))
