builtins.length (map (i: ({ a = i; b = 2; c = 3; } // { d = i; a = 5; }).a) (builtins.genList (i: i) 300000))
