builtins.foldl' (acc: i: acc + ({ a = i; }.b or 1) + ({ a = i; }.a or 0)) 0 (builtins.genList (i: i) 300000)
