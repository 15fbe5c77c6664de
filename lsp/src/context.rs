//! The option path at a position: the attribute sets around it (`a = {
//! b = { | }; }` → `a.b`) and the dotted name being typed on its line.

use rnix::ast;
use rowan::ast::AstNode;

/// The names of the attribute paths enclosing `offset`, outermost first.
fn enclosing(root: &ast::Root, offset: usize) -> Vec<String> {
    let mut path = Vec::new();
    let Some(token) = root
        .syntax()
        .token_at_offset(rowan::TextSize::from(offset as u32))
        .left_biased()
    else {
        return path;
    };
    for node in token.parent_ancestors() {
        let Some(av) = ast::AttrpathValue::cast(node.clone()) else {
            continue;
        };
        let Some(value) = av.value() else { continue };
        if !value
            .syntax()
            .text_range()
            .contains_inclusive(rowan::TextSize::from(offset as u32))
        {
            continue;
        }
        let names: Vec<String> = av
            .attrpath()
            .map(|p| {
                p.attrs()
                    .filter_map(|a| nixcfg_compiler::lint::options::attr_name(&a))
                    .collect()
            })
            .unwrap_or_default();
        for n in names.into_iter().rev() {
            path.insert(0, n);
        }
    }
    // `config = { … }` of a module with `options` and `config`.
    if path.first().map(String::as_str) == Some("config") {
        path.remove(0);
    }
    path
}

/// The attribute paths of the sets enclosing `offset`, read from the
/// text (so that it works while the file is being typed and does not
/// parse): each unmatched `{` before the cursor, and the `name.path =`
/// of the statement it opens.
fn enclosing_text(text: &str, offset: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut path: Vec<String> = Vec::new();
    let mut depth = 0i32;
    let mut i = offset;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b'}' => depth += 1,
            b'{' if depth > 0 => depth -= 1,
            b'{' => {
                // The statement this set belongs to: after the previous
                // `;`, `{` or `}` up to this brace.
                let start = text[..i].rfind([';', '{', '}']).map(|j| j + 1).unwrap_or(0);
                let stmt = &text[start..i];
                let Some(eq) = stmt.find('=') else {
                    // A function's body or the top set: stop at a module's
                    // outermost set, go on through `let … in`.
                    continue;
                };
                let lhs = stmt[..eq].trim();
                let names: Vec<String> = lhs
                    .rsplit(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .map(|p| p.trim_matches('"').to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                for n in names.into_iter().rev() {
                    path.insert(0, n);
                }
            }
            _ => {}
        }
    }
    if path.first().map(String::as_str) == Some("config") {
        path.remove(0);
    }
    path
}

/// The option path before the cursor, and the partial name being typed.
pub fn at(text: &str, offset: usize) -> (Vec<String>, String) {
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let typed: String = text[line_start..offset]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || "_-.'\"".contains(*c))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let word_start = offset - typed.len();
    let mut path = enclosing_text(text, word_start);
    let mut parts: Vec<String> = typed
        .split('.')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let partial = parts.pop().unwrap_or_default();
    path.extend(parts.into_iter().filter(|p| !p.is_empty()));
    (path, partial)
}

/// The full option path of the attribute name under the cursor.
pub fn name_at(text: &str, offset: usize) -> Option<Vec<String>> {
    let parsed = rnix::Root::parse(text);
    let root = parsed.tree();
    let token = root
        .syntax()
        .token_at_offset(rowan::TextSize::from(offset as u32))
        .right_biased()?;
    let attr_node = token
        .parent_ancestors()
        .find(|n| ast::Attr::cast(n.clone()).is_some())?;
    let attrpath = attr_node.parent().and_then(ast::Attrpath::cast)?;
    let av = attrpath
        .syntax()
        .parent()
        .and_then(ast::AttrpathValue::cast)?;
    let mut path = enclosing(&root, av.syntax().text_range().start().into());
    for a in attrpath.attrs() {
        path.push(nixcfg_compiler::lint::options::attr_name(&a)?);
        if a.syntax() == &attr_node {
            break;
        }
    }
    Some(path)
}

/// The dotted name under the cursor in an expression: `builtins.map`,
/// `lib.types.str` (up to the name the cursor is on), or a lone variable.
pub fn expr_name_at(text: &str, offset: usize) -> Option<Vec<String>> {
    let root = rnix::Root::parse(text).tree();
    let token = root
        .syntax()
        .token_at_offset(rowan::TextSize::from(offset as u32))
        .right_biased()?;
    if token.kind() != rnix::SyntaxKind::TOKEN_IDENT {
        return None;
    }
    let ident = token.parent()?;
    // `a.b.c` is a Select whose expression is `a` and attrpath `b.c`.
    let in_attrpath = ident.parent().and_then(ast::Attr::cast).is_some()
        || ident.parent().and_then(ast::Attrpath::cast).is_some();
    if !in_attrpath {
        // A variable, or the base of a select (`lib` in `lib.x`).
        return Some(vec![token.text().to_string()]);
    }
    let attrpath = ident.ancestors().find_map(ast::Attrpath::cast)?;
    let select = attrpath.syntax().parent().and_then(ast::Select::cast)?;
    let ast::Expr::Ident(base) = select.expr()? else {
        return None;
    };
    let mut path = vec![base.syntax().text().to_string()];
    for a in attrpath.attrs() {
        let ast::Attr::Ident(i) = &a else { return None };
        path.push(i.syntax().text().to_string());
        if i.syntax()
            .text_range()
            .contains_inclusive(token.text_range().start())
        {
            break;
        }
    }
    Some(path)
}
