builtins.stringLength (builtins.concatStringsSep "," (builtins.genList (i: "option ${builtins.toString i} of ${builtins.toString (i * 2)}") 200000))
