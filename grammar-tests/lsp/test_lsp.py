"""End-to-end tests of `nixcfg lsp` with a real LSP client (pytest-lsp).
The server is the binary in $NIXCFG_BIN; the configuration is written to
a temporary directory by each test."""

import asyncio
import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

CONFIG = """{ config, ... }:
{
  users.users.alice = {
    isNormalUser = true;
    extraGrops = [ "wheel" ];
  };
  systemd.services.web.description = "static web server";
  containers.web.config = {
    users.users.bob.isNormalUser = true;
  };
}
"""


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[os.environ["NIXCFG_BIN"], "lsp"])
)
async def client(lsp_client: LanguageClient, tmp_path: pathlib.Path):
    # The server says when the diagnostics of a version are final (after
    # the evaluation of a configuration.nix): record those.
    completed = set()
    # How many times each version was completed (a configuration is
    # evaluated again when a file it reads changes).
    completions = {}

    @lsp_client.feature("nixcfg/diagnosticsComplete")
    def _complete(*args):
        params = args[-1]
        completed.add((params.uri, params.version))
        key = (params.uri, params.version)
        completions[key] = completions.get(key, 0) + 1

    lsp_client.completions = completions

    lsp_client.completed = completed
    # When the evaluated diagnostics of an edit alone are out: what was
    # published for that version at that moment.
    focused = {}

    @lsp_client.feature("nixcfg/diagnosticsFocused")
    def _focused(*args):
        params = args[-1]
        focused[(params.uri, params.version)] = (
            list(lsp_client.diagnostics.get(params.uri, [])),
            (params.uri, params.version) in completed,
        )

    lsp_client.focused = focused
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            root_uri=tmp_path.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_doc(client, path: pathlib.Path, text: str, version: int = 1):
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="nix", version=version, text=text
            )
        )
    )
    return path.as_uri()


def change_doc(client, uri: str, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics_of(client, uri: str, version: int):
    """The final diagnostics the server publishes for `version` of `uri`."""
    for _ in range(1200):
        if (uri, version) in client.completed:
            return client.diagnostics.get(uri, [])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics for version {version} of {uri}")


async def test_diagnostics_on_open_and_change(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "configuration.nix", CONFIG)
    diags = await diagnostics_of(client, uri, 1)
    by_code = {d.code: d for d in diags}
    unknown = by_code["nixcfg::unknown-option"]
    assert "users.users.alice.extraGrops" in unknown.message
    assert "did you mean `users.users.alice.extraGroups'" in unknown.message
    assert unknown.range.start == types.Position(line=4, character=4)
    assert unknown.severity == types.DiagnosticSeverity.Error
    case = by_code["nixcfg::unit-description-case"]
    assert case.range.start.line == 6
    assert case.severity == types.DiagnosticSeverity.Warning
    assert "nixcfg::unused-formal" in by_code

    fixed = CONFIG.replace("extraGrops", "extraGroups")
    change_doc(client, uri, 2, fixed)
    diags = await diagnostics_of(client, uri, 2)
    assert "nixcfg::unknown-option" not in {d.code for d in diags}


async def test_syntax_errors_do_not_stop_the_server(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "broken.nix", "{ a = 1 b = 2; }\n")
    diags = await diagnostics_of(client, uri, 1)
    assert diags and diags[0].range.start == types.Position(line=0, character=10)
    # The server still answers.
    uri2 = open_doc(client, tmp_path / "ok.nix", "let x = 1; in x\n")
    assert list(await diagnostics_of(client, uri2, 1)) == []


async def completion(client, uri, line, character):
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    items = result.items if hasattr(result, "items") else result
    return {i.label: i for i in items}


async def test_completion_of_options(client: LanguageClient, tmp_path):
    text = """{ ... }:
{
  users.users.alice.
  systemd.services.web = {
    serv
  };
  containers.web.config = {
    services.openssh.
  };
}
"""
    uri = open_doc(client, tmp_path / "complete.nix", text)
    items = await completion(client, uri, 2, 20)
    assert "isNormalUser" in items and "extraGroups" in items
    assert items["isNormalUser"].detail == "boolean"
    items = await completion(client, uri, 4, 8)
    assert set(items) >= {"serviceConfig"}
    assert "script" not in items
    items = await completion(client, uri, 7, 21)
    assert "enable" in items and "ports" in items


async def test_hover_on_an_option(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "configuration.nix", CONFIG)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=8),
        )
    )
    assert "users.users.<name>.isNormalUser" in hover.contents.value
    assert "boolean" in hover.contents.value


async def test_code_actions_fix_a_misspelt_option_and_a_lint(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "configuration.nix", CONFIG)
    diags = await diagnostics_of(client, uri, 1)
    unknown = next(d for d in diags if d.code == "nixcfg::unknown-option")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=unknown.range,
            context=types.CodeActionContext(diagnostics=[unknown]),
        )
    )
    edits = [e for a in actions for e in a.edit.changes[uri]]
    assert any(e.new_text == "extraGroups" and e.range == unknown.range for e in edits), actions
    case = next(d for d in diags if d.code == "nixcfg::unit-description-case")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=case.range,
            context=types.CodeActionContext(diagnostics=[case]),
        )
    )
    edits = [e for a in actions for e in a.edit.changes[uri]]
    assert any(e.new_text == '"Static Web Server"' for e in edits), actions


NAV = """{ lib, ... }:
let
  port = 8080;
  helpers = import ./helpers.nix;
in
{
  networking.firewall.allowedTCPPorts = [ port ];
  environment.etc.x.text = lib.mkDefault (toString port);
}
"""


async def test_navigation(client: LanguageClient, tmp_path):
    (tmp_path / "helpers.nix").write_text("{ }\n")
    uri = open_doc(client, tmp_path / "nav.nix", NAV)
    doc = types.TextDocumentIdentifier(uri=uri)
    # `port` in the list goes to its let binding.
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=types.Position(line=6, character=42))
    )
    loc = result[0] if isinstance(result, list) else result
    assert loc.uri == uri and loc.range.start == types.Position(line=2, character=2)
    # `lib` goes to the function argument.
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=types.Position(line=7, character=28))
    )
    loc = result[0] if isinstance(result, list) else result
    assert loc.range.start == types.Position(line=0, character=2)
    # An imported path opens the file.
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=types.Position(line=3, character=22))
    )
    loc = result[0] if isinstance(result, list) else result
    assert loc.uri == (tmp_path / "helpers.nix").resolve().as_uri()
    # Every use of `port`, with its binding.
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc,
            position=types.Position(line=2, character=3),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted(r.range.start.line for r in refs) == [2, 6, 7]
    # The options the file defines.
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc)
    )
    names = {s.name for s in symbols}
    assert {"networking.firewall.allowedTCPPorts", "environment.etc.x.text"} <= names


async def test_rename_and_library_completion(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "nav2.nix", NAV)
    doc = types.TextDocumentIdentifier(uri=uri)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc, position=types.Position(line=6, character=42), new_name="httpPort")
    )
    edits = edit.changes[uri]
    assert sorted((e.range.start.line, e.new_text) for e in edits) == [
        (2, "httpPort"), (6, "httpPort"), (7, "httpPort")
    ]
    text = "{ lib, ... }:\n{\n  x = lib.mkDef;\n  y = builtins.toJ;\n}\n"
    uri = open_doc(client, tmp_path / "lib.nix", text)
    items = await completion(client, uri, 2, 15)
    assert "mkDefault" in items
    items = await completion(client, uri, 3, 18)
    assert "toJSON" in items


async def test_semantic_tokens(client: LanguageClient, tmp_path):
    text = "{ lib, ... }:\n# a comment\nlet n = 1; in { a.b = lib.id \"s\"; }\n"
    uri = open_doc(client, tmp_path / "tokens.nix", text)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    legend = ["keyword", "string", "number", "comment", "variable", "parameter", "property"]
    data, line, col, seen = result.data, 0, 0, []
    for i in range(0, len(data), 5):
        dl, ds, length, kind, _ = data[i : i + 5]
        line, col = (line + dl, ds) if dl else (line, col + ds)
        word = text.split("\n")[line][col : col + length]
        seen.append((word, legend[kind]))
    for want in [("lib", "parameter"), ("# a comment", "comment"), ("let", "keyword"),
                 ("n", "property"), ("1", "number"), ("a", "property"), ("b", "property"),
                 ("lib", "variable"), ("s", "string")]:
        assert want in seen, (want, seen)


async def test_an_endless_evaluation_is_stopped(client: LanguageClient, tmp_path):
    # The test sets NIXCFG_LSP_TIME_BUDGET_MS for the server.
    text = """{ ... }:
{
  networking.hostName = toString (builtins.length (builtins.genericClosure {
    startSet = [ { key = 0; } ];
    operator = x: [ { key = x.key + 1; } ];
  }));
}
"""
    uri = open_doc(client, tmp_path / "configuration.nix", text)
    diags = await diagnostics_of(client, uri, 1)
    assert any(d.code == "nixcfg::time-budget" for d in diags), diags
    # The server still answers.
    items = await completion(client, uri, 2, 14)
    assert "hostName" in items


async def test_a_mistake_in_an_imported_file_is_reported_there(client: LanguageClient, tmp_path):
    users = tmp_path / "users.nix"
    users.write_text("{ ... }:\n{\n  users.users.carol.isNormalUsr = true;\n}\n")
    uri = open_doc(client, tmp_path / "configuration.nix", "{ ... }:\n{\n  imports = [ ./users.nix ];\n}\n")
    users_uri = users.as_uri()
    await diagnostics_of(client, uri, 1)
    # The imported file's diagnostics follow at once (pytest-lsp keeps the
    # latest of each file in client.diagnostics).
    for _ in range(100):
        if users_uri in client.diagnostics:
            break
        await asyncio.sleep(0.1)
    unknown = [d for d in client.diagnostics[users_uri] if d.code == "nixcfg::unknown-option"]
    assert unknown and unknown[0].range.start == types.Position(line=2, character=20), client.diagnostics


async def wait_for_diagnostics(client, uri: str, pred, what: str):
    """The diagnostics of `uri` once `pred` holds for them."""
    for _ in range(600):
        diags = client.diagnostics.get(uri, [])
        if pred(diags):
            return diags
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: {client.diagnostics.get(uri)}")


async def test_editing_an_imported_file_evaluates_the_configuration_again(client: LanguageClient, tmp_path):
    users_text = "{ pkgs, ... }:\n{\n  users.users.carol.isNormalUser = true;\n}\n"
    write_slow_import(tmp_path)
    users_uri = open_doc(client, tmp_path / "users.nix", users_text)
    uri = open_doc(client, tmp_path / "configuration.nix", "{ ... }:\n{\n  imports = [ ./users.nix ./slow.nix ];\n}\n")
    await diagnostics_of(client, uri, 1)
    # A computed value of the wrong type, in the imported file's buffer:
    # only the configuration's evaluation can find it, and it must run
    # again although configuration.nix did not change.
    change_doc(client, users_uri, 2, users_text.replace("true", '"tr" + "ue"'))
    diags = await wait_for_diagnostics(
        client,
        users_uri,
        lambda ds: any(d.code == "nixcfg::type-mismatch" for d in ds),
        "no type error in users.nix after its edit",
    )
    mismatch = next(d for d in diags if d.code == "nixcfg::type-mismatch")
    assert mismatch.range.start.line == 2, diags
    # The file's own findings (lints) are published with the evaluation's.
    assert any(d.code == "nixcfg::unused-formal" for d in diags), diags
    # It came from the evaluation of the edited lines, before the whole
    # configuration's second evaluation (slow.nix) ended.
    assert (uri, 1) in client.focused
    assert client.completions[(uri, 1)] == 1, client.completions
    for _ in range(600):
        if client.completions.get((uri, 1)) == 2:
            break
        await asyncio.sleep(0.05)
    final = client.diagnostics[users_uri]
    assert any(d.code == "nixcfg::type-mismatch" for d in final), final
    assert any(d.code == "nixcfg::unused-formal" for d in final), final


async def test_completion_of_values(client: LanguageClient, tmp_path):
    text = """{ lib, ... }:
let
  sshPort = 22;
in
{
  services.openssh.settings.PermitRootLogin = ;
  services.openssh.ports = [ ssh ];
}
"""
    uri = open_doc(client, tmp_path / "values.nix", text)
    items = await completion(client, uri, 5, 46)
    assert '"prohibit-password"' in items and '"no"' in items, items.keys()
    items = await completion(client, uri, 6, 32)
    assert "sshPort" in items, items.keys()


async def test_go_to_an_option_declaration(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "configuration.nix", CONFIG)
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=8),
        )
    )
    loc = result[0] if isinstance(result, list) else result
    assert loc.uri.endswith("/nixcfg/nixos/modules/config/users-groups.nix"), loc
    declared = pathlib.Path(loc.uri[len("file://"):]).read_text().split("\n")[loc.range.start.line]
    assert "isNormalUser = mkOption" in declared, declared


async def test_hover_previews_units_and_passwd_lines(client: LanguageClient, tmp_path):
    text = """{ ... }:
{
  users.users.alice.isNormalUser = true;
  systemd.services.web = {
    description = "Static Web Server";
    serviceConfig.ExecStart = "/bin/true";
  };
  networking.hostName = "box";
}
"""
    uri = open_doc(client, tmp_path / "preview.nix", text)
    doc = types.TextDocumentIdentifier(uri=uri)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=types.Position(line=2, character=15))
    )
    assert "alice:x:1000:100::/home/alice:/run/current-system/sw/bin/bash" in hover.contents.value, hover
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=types.Position(line=3, character=20))
    )
    assert "Description=Static Web Server" in hover.contents.value, hover
    assert "ExecStart=/bin/true" in hover.contents.value
    # A leaf option: its value and where it is defined.
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=types.Position(line=7, character=14))
    )
    assert '*Value:* `"box"`' in hover.contents.value, hover
    assert "preview.nix:8:" in hover.contents.value, hover


async def hover_text(client, uri: str, line: int, character: int) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert hover is not None, (line, character)
    return hover.contents.value


async def test_hover_documents_builtins_and_lib_functions(client: LanguageClient, tmp_path):
    text = """{ lib, ... }:
with lib;
{
  a = builtins.map toString [ 1 ];
  b = mkDefault 1;
  c = lib.types.attrsOf lib.types.str;
  d = lib.attrNames { };
}
"""
    uri = open_doc(client, tmp_path / "docs.nix", text)
    value = await hover_text(client, uri, 3, 17)
    assert "builtins.map f list" in value and "each element" in value, value
    value = await hover_text(client, uri, 3, 22)
    assert "builtins.toString value" in value, value
    value = await hover_text(client, uri, 4, 8)
    assert "lib.mkDefault content" in value and "priority 1000" in value, value
    value = await hover_text(client, uri, 5, 20)
    assert "lib.types.attrsOf elemType" in value and "merged name by name" in value, value
    value = await hover_text(client, uri, 6, 12)
    assert "lib.attrNames set" in value and "builtins.attrNames" in value, value


async def test_hover_inside_submodule_instances(client: LanguageClient, tmp_path):
    text = """{ ... }:
{
  users.users.alice = { isNormalUser = true; uid = 1234; };
  containers.web.config = { users.users.bob.isNormalUser = true; };
}
"""
    uri = open_doc(client, tmp_path / "configuration.nix", text)
    value = await hover_text(client, uri, 2, 46)
    assert "users.users.<name>.uid" in value and "*Value:* `1234`" in value, value
    value = await hover_text(client, uri, 3, 46)
    assert "*Value:* `true`" in value, value


async def test_references_of_an_option_are_its_definitions(client: LanguageClient, tmp_path):
    (tmp_path / "extra.nix").write_text(
        "{ ... }:\n{\n  networking.firewall.allowedTCPPorts = [ 443 ];\n}\n"
    )
    text = """{ ... }:
{
  imports = [ ./extra.nix ];
  networking.firewall.allowedTCPPorts = [ 80 ];
}
"""
    uri = open_doc(client, tmp_path / "configuration.nix", text)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=25),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    found = {(pathlib.Path(r.uri.removeprefix("file://")).name, r.range.start.line) for r in refs}
    assert ("configuration.nix", 3) in found and ("extra.nix", 2) in found, refs


def write_slow_import(tmp_path: pathlib.Path):
    """A module, `./slow.nix`, whose evaluation takes a while."""
    (tmp_path / "slow.nix").write_text(
        "{ ... }: { environment.etc.slow.text = toString (builtins.foldl' (a: b: a + b) 0"
        " (builtins.genList (i: i) 3000000)); }\n"
    )


async def test_option_mistakes_are_shown_before_the_evaluation_ends(client: LanguageClient, tmp_path):
    write_slow_import(tmp_path)
    text = """{ ... }:
{
  imports = [ ./slow.nix ];
  users.users.alice = { isNormalUser = true; extraGrops = [ "wheel" ]; };
  users.users.bob.isNormalUser = "yes";
}
"""
    first = asyncio.ensure_future(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    await asyncio.sleep(0)
    uri = open_doc(client, tmp_path / "configuration.nix", text)
    params = await asyncio.wait_for(first, 60)
    assert params.uri == uri and (uri, 1) not in client.completed
    codes = {d.code for d in params.diagnostics}
    assert {"nixcfg::type-mismatch", "nixcfg::unknown-option"} <= codes, params.diagnostics
    unknown = next(d for d in params.diagnostics if d.code == "nixcfg::unknown-option")
    assert "extraGroups" in unknown.message and unknown.range.start.line == 3, unknown
    final = await diagnostics_of(client, uri, 1)
    codes = {d.code for d in final}
    assert {"nixcfg::type-mismatch", "nixcfg::unknown-option"} <= codes, final


async def test_an_edit_is_evaluated_before_the_whole_configuration(client: LanguageClient, tmp_path):
    write_slow_import(tmp_path)
    text = """{ ... }:
{
  imports = [ ./slow.nix ];
  users.users.alice = { isNormalUser = true; extraGrops = [ "wheel" ]; };
  users.users.bob = { isNormalUser = true; uid = 1001; };
}
"""
    uri = open_doc(client, tmp_path / "configuration.nix", text)
    await diagnostics_of(client, uri, 1)
    # A value no check without evaluation can judge: computed, of the
    # wrong type.
    edited = text.replace("uid = 1001;", 'uid = "100" + "1";')
    change_doc(client, uri, 2, edited)
    final = await diagnostics_of(client, uri, 2)
    assert (uri, 2) in client.focused, "no nixcfg/diagnosticsFocused for version 2"
    focused, was_complete = client.focused[(uri, 2)]
    assert not was_complete
    mismatch = [d for d in focused if d.code == "nixcfg::type-mismatch"]
    assert mismatch and mismatch[0].range.start.line == 4, focused
    assert "users.users.bob.uid" in mismatch[0].message
    # The mistake on a line not edited, from the evaluation before, stays.
    assert any(d.code == "nixcfg::unknown-option" and d.range.start.line == 3 for d in focused), focused
    assert {"nixcfg::type-mismatch", "nixcfg::unknown-option"} <= {d.code for d in final}, final
