//! House rules that keep the code easy to read, checked on every run: each source file opens with
//! a `//!` header saying its job, and no function runs over `FUNCTION_LINES_MAX` lines (data
//! belongs in tables, which are constants, not functions). Run with `--nocapture` to see the
//! longest functions.

use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The longest a function may be, in lines from its signature to its closing brace.
const FUNCTION_LINES_MAX: usize = 80;

/// The folders whose Rust files the rules cover.
const SOURCE_DIRS: [&str; 4] = [
    "src",
    "crates/engine/src",
    "crates/engine/benches",
    "tests/suite",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every function (free, method, trait default) with its length in lines.
#[derive(Default)]
struct Functions {
    found: Vec<(String, usize, usize)>,
}

impl Functions {
    fn note(&mut self, name: &syn::Ident, span: proc_macro2::Span) {
        let lines = span.end().line - span.start().line + 1;
        self.found
            .push((name.to_string(), span.start().line, lines));
    }
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.note(&f.sig.ident, syn::spanned::Spanned::span(f));
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.note(&f.sig.ident, syn::spanned::Spanned::span(f));
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.note(&f.sig.ident, syn::spanned::Spanned::span(f));
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// Every function of the covered sources: (file, name, first line, length in lines).
fn all_functions() -> Vec<(String, String, usize, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    let mut all = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("source readable");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut functions = Functions::default();
        functions.visit_file(&file);
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        all.extend(
            functions
                .found
                .into_iter()
                .map(|(f, at, n)| (name.clone(), f, at, n)),
        );
    }
    all.sort_by_key(|f| std::cmp::Reverse(f.3));
    all
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let all = all_functions();
    assert!(
        all.len() > 300,
        "the sources are found: {} functions",
        all.len()
    );
    println!("longest functions:");
    for (file, name, at, lines) in all.iter().take(15) {
        println!("{lines:5} {file}:{at} {name}");
    }
    let long: Vec<String> = all
        .iter()
        .filter(|f| f.3 > FUNCTION_LINES_MAX)
        .map(|(file, name, at, lines)| format!("{file}:{at} {name}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {FUNCTION_LINES_MAX} lines (split them along their steps):\n{}",
        long.join("\n")
    );
}

#[test]
fn every_source_file_says_its_job_in_a_header() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("source readable");
            !text.trim_start().starts_with("//!")
        })
        .map(|path| {
            path.strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` header: {missing:?}"
    );
}
