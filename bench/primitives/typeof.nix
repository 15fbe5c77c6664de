builtins.length (builtins.filter (x: builtins.isAttrs x && x ? a && (x._type or "") == "") (builtins.genList (i: { a = i; }) 500000))
