builtins.length (builtins.concatMap (i: [ i i ]) (builtins.genList (i: i) 500000))
