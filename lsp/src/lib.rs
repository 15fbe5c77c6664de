//! nixcfg's language server (`nixcfg lsp`): diagnostics, option
//! completion and hover on the compiler's own analysis — the same as
//! `nixcfg check`, no second implementation. One file per feature (nil's
//! layout): `diagnostics`, `completion`, `hover`; `documents` keeps the
//! open texts, `options` the option reference, `context` finds the option
//! path under the cursor.

mod actions;
mod completion;
mod context;
mod diagnostics;
mod documents;
mod edits;
mod evaluated;
mod generations;
mod hover;
mod hover_docs;
mod imported;
mod navigation;
mod options;
mod reserve;
mod semantic;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use std::error::Error;

pub use documents::Documents;

/// Serves LSP over stdin/stdout until the client shuts down.
pub fn run_stdio() -> Result<(), Box<dyn Error + Send + Sync>> {
    let (conn, io) = Connection::stdio();
    let caps = lsp_types::ServerCapabilities {
        text_document_sync: Some(lsp_types::TextDocumentSyncCapability::Kind(
            lsp_types::TextDocumentSyncKind::FULL,
        )),
        completion_provider: Some(lsp_types::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        definition_provider: Some(lsp_types::OneOf::Left(true)),
        references_provider: Some(lsp_types::OneOf::Left(true)),
        document_symbol_provider: Some(lsp_types::OneOf::Left(true)),
        rename_provider: Some(lsp_types::OneOf::Left(true)),
        semantic_tokens_provider: Some(
            lsp_types::SemanticTokensOptions {
                legend: semantic::legend(),
                full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            }
            .into(),
        ),
        ..Default::default()
    };
    conn.initialize(serde_json::to_value(caps)?)?;
    let options = options::OptionTree::load();
    let mut docs = Documents::default();
    let publisher = diagnostics::Publisher::new(conn.sender.clone(), options.declared.clone());
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req)? {
                    break;
                }
                let resp = handle_request(&req, &docs, &options, &publisher.actions);
                conn.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => handle_notification(n, &mut docs, &publisher),
            Message::Response(_) => {}
        }
    }
    // The writer thread ends when every sender is gone.
    publisher.stop();
    drop(publisher);
    drop(conn);
    io.join()?;
    Ok(())
}

fn handle_request(
    req: &Request,
    docs: &Documents,
    options: &options::OptionTree,
    actions: &actions::Actions,
) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        lsp_types::request::Completion::METHOD => serde_json::from_value::<
            lsp_types::CompletionParams,
        >(req.params.clone())
        .map(|p| serde_json::to_value(completion::complete(docs, options, &p)).unwrap_or_default()),
        lsp_types::request::CodeActionRequest::METHOD => {
            serde_json::from_value::<lsp_types::CodeActionParams>(req.params.clone())
                .map(|p| serde_json::to_value(actions.for_range(&p)).unwrap_or_default())
        }
        lsp_types::request::GotoDefinition::METHOD => {
            serde_json::from_value::<lsp_types::GotoDefinitionParams>(req.params.clone()).map(|p| {
                serde_json::to_value(navigation::definition(docs, options, &p)).unwrap_or_default()
            })
        }
        lsp_types::request::References::METHOD => {
            serde_json::from_value::<lsp_types::ReferenceParams>(req.params.clone())
                .map(|p| serde_json::to_value(navigation::references(docs, &p)).unwrap_or_default())
        }
        lsp_types::request::SemanticTokensFullRequest::METHOD => {
            serde_json::from_value::<lsp_types::SemanticTokensParams>(req.params.clone())
                .map(|p| serde_json::to_value(semantic::tokens(docs, &p)).unwrap_or_default())
        }
        lsp_types::request::Rename::METHOD => {
            serde_json::from_value::<lsp_types::RenameParams>(req.params.clone())
                .map(|p| serde_json::to_value(navigation::rename(docs, &p)).unwrap_or_default())
        }
        lsp_types::request::DocumentSymbolRequest::METHOD => {
            serde_json::from_value::<lsp_types::DocumentSymbolParams>(req.params.clone())
                .map(|p| serde_json::to_value(navigation::symbols(docs, &p)).unwrap_or_default())
        }
        lsp_types::request::HoverRequest::METHOD => {
            serde_json::from_value::<lsp_types::HoverParams>(req.params.clone())
                .map(|p| serde_json::to_value(hover::hover(docs, options, &p)).unwrap_or_default())
        }
        _ => {
            return Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("{} is not supported", req.method),
            );
        }
    };
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(
            id,
            lsp_server::ErrorCode::InvalidParams as i32,
            e.to_string(),
        ),
    }
}

fn handle_notification(n: Notification, docs: &mut Documents, publisher: &diagnostics::Publisher) {
    match n.method.as_str() {
        lsp_types::notification::DidOpenTextDocument::METHOD => {
            if let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
            {
                let uri = p.text_document.uri.clone();
                docs.open(
                    p.text_document.uri,
                    p.text_document.version,
                    p.text_document.text,
                );
                publisher.schedule(&uri, docs);
            }
        }
        lsp_types::notification::DidChangeTextDocument::METHOD => {
            if let Ok(p) =
                serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
            {
                if let Some(change) = p.content_changes.into_iter().last() {
                    docs.open(
                        p.text_document.uri.clone(),
                        p.text_document.version,
                        change.text,
                    );
                    publisher.schedule(&p.text_document.uri, docs);
                }
            }
        }
        lsp_types::notification::DidCloseTextDocument::METHOD => {
            if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
            {
                docs.close(&p.text_document.uri);
                publisher.clear(&p.text_document.uri);
            }
        }
        _ => {}
    }
}
