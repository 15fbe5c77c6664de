let l = builtins.genList (i: { a = i; b = i; c = i; }) 1000; in builtins.foldl' (acc: i: acc + builtins.length (builtins.zipAttrsWith (n: vs: vs) l).a) 0 (builtins.genList (i: i) 200)
