builtins.length (builtins.filter (x: x.a > 3) (builtins.genList (i: { a = i; }) 500000))
