//! Diagnostics of files a configuration reads: they come from two
//! analyses — the file's own (syntax, lints), when it is open, and the
//! configuration's evaluation, which finds mistakes in it — and each
//! publication for the file carries both.

use crate::edits::{keep_outside, LineEdit};
use crossbeam_channel::Sender;
use lsp_server::Message;
use lsp_types::{Diagnostic, Uri};
use std::collections::HashMap;

#[derive(Default)]
pub struct ImportedFiles {
    /// Each open file's own last findings, by path.
    own: HashMap<String, Vec<Diagnostic>>,
    /// What evaluations last found in each file, by path.
    from_evaluation: HashMap<String, Vec<Diagnostic>>,
    /// The files each configuration's last evaluation reported on.
    reported: HashMap<String, Vec<String>>,
}

impl ImportedFiles {
    /// A file's own findings; returns what evaluations found in it, to be
    /// published with them.
    pub fn set_own(&mut self, file: &str, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        self.own.insert(file.to_string(), diags);
        self.from_evaluation.get(file).cloned().unwrap_or_default()
    }

    /// The findings of configuration `root`'s evaluation in the files it
    /// read, by path: published, and the files it reported on last time
    /// but not now cleared of them.
    pub fn set_evaluated(
        &mut self,
        sender: &Sender<Message>,
        root: &str,
        found: HashMap<String, Vec<Diagnostic>>,
    ) {
        let before = self.reported.remove(root).unwrap_or_default();
        for file in before.iter().filter(|f| !found.contains_key(*f)) {
            self.from_evaluation.remove(file);
            self.publish(sender, file, Vec::new());
        }
        let now: Vec<String> = found.keys().cloned().collect();
        for (file, diags) in found {
            self.from_evaluation.insert(file.clone(), diags.clone());
            self.publish(sender, &file, diags);
        }
        self.reported.insert(root.to_string(), now);
    }

    /// A file edited since the last evaluation: what the evaluation of its
    /// edited lines found, with its own findings and the last
    /// evaluation's on the lines not edited.
    pub fn set_focused(
        &self,
        sender: &Sender<Message>,
        file: &str,
        edit: &LineEdit,
        found: Vec<Diagnostic>,
    ) {
        let mut all = found;
        let earlier = self
            .from_evaluation
            .get(file)
            .map(|d| keep_outside(d, edit));
        for d in earlier.into_iter().flatten() {
            if !all.contains(&d) {
                all.push(d);
            }
        }
        self.publish(sender, file, all);
    }

    /// Publishes `diags` for `file` with the file's own findings.
    fn publish(&self, sender: &Sender<Message>, file: &str, mut diags: Vec<Diagnostic>) {
        for d in self.own.get(file).into_iter().flatten() {
            if !diags.contains(d) {
                diags.push(d.clone());
            }
        }
        if let Ok(uri) = format!("file://{file}").parse::<Uri>() {
            crate::diagnostics::publish(sender, uri, None, diags);
        }
    }
}
