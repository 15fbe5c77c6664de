let f = { a, b ? 1, ... }: a + b; in builtins.foldl' (acc: i: acc + f { a = i; c = 2; }) 0 (builtins.genList (i: i) 300000)
