let f = a: b: a + b; in builtins.foldl' (acc: i: f acc i) 0 (builtins.genList (i: i) 300000)
