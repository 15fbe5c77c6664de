# Two 100k-attribute sets merged with //.
let
  mk = prefix: builtins.listToAttrs (builtins.genList (i: { name = "${prefix}${toString i}"; value = i; }) 100000);
  merged = mk "a" // mk "b" // mk "a";
in
builtins.length (builtins.attrNames merged)
