//! Semantic tokens: keywords, strings and paths, numbers, comments,
//! variables, function arguments and attribute names (option paths).

use crate::documents::Documents;
use lsp_types::{
    SemanticToken, SemanticTokenType, SemanticTokens, SemanticTokensLegend, SemanticTokensParams,
    SemanticTokensResult,
};
use rnix::SyntaxKind as K;

pub const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::PROPERTY,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: Vec::new(),
    }
}

fn kind_of(t: &rnix::SyntaxToken) -> Option<u32> {
    Some(match t.kind() {
        K::TOKEN_LET
        | K::TOKEN_IN
        | K::TOKEN_WITH
        | K::TOKEN_REC
        | K::TOKEN_INHERIT
        | K::TOKEN_IF
        | K::TOKEN_THEN
        | K::TOKEN_ELSE
        | K::TOKEN_ASSERT
        | K::TOKEN_OR => 0,
        K::TOKEN_STRING_START
        | K::TOKEN_STRING_CONTENT
        | K::TOKEN_STRING_END
        | K::TOKEN_PATH_ABS
        | K::TOKEN_PATH_REL
        | K::TOKEN_PATH_HOME
        | K::TOKEN_PATH_SEARCH
        | K::TOKEN_URI => 1,
        K::TOKEN_INTEGER | K::TOKEN_FLOAT => 2,
        K::TOKEN_COMMENT => 3,
        K::TOKEN_IDENT => {
            let ident = t.parent()?;
            match ident.parent().map(|p| p.kind()) {
                Some(K::NODE_ATTRPATH) => 6,
                Some(K::NODE_PAT_ENTRY | K::NODE_PAT_BIND | K::NODE_IDENT_PARAM) => 5,
                _ => 4,
            }
        }
        _ => return None,
    })
}

pub fn tokens(docs: &Documents, p: &SemanticTokensParams) -> Option<SemanticTokensResult> {
    let doc = docs.get(&p.text_document.uri)?;
    let root = rnix::Root::parse(&doc.text);
    let mut data = Vec::new();
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    let mut line = 0u32;
    let mut col = 0u32; // UTF-16 column of the current position
    for t in root
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        let kind = kind_of(&t);
        // Walk the token's text line by line; each line piece is a token.
        for (i, piece) in t.text().split('\n').enumerate() {
            if i > 0 {
                line += 1;
                col = 0;
            }
            let len: u32 = piece.chars().map(|c| c.len_utf16() as u32).sum();
            if let (Some(k), true) = (kind, len > 0) {
                let delta_line = line - prev_line;
                let delta_start = if delta_line == 0 {
                    col - prev_start
                } else {
                    col
                };
                data.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: len,
                    token_type: k,
                    token_modifiers_bitset: 0,
                });
                prev_line = line;
                prev_start = col;
            }
            col += len;
        }
    }
    Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    }))
}
