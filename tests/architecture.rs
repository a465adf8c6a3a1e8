//! The layering of ARCHITECTURE.md, checked on the source: every `crate::…` path in
//! `src/**/*.rs` (including `use crate::{a, b::c}` groups) is attributed to the top-level module
//! of the file it is in, and the arrows between top-level modules must point down:
//!
//! ```text
//! cli ─ run ─ sweep, trace ─ schedule, dis ─ vm ─ bytecode
//!        └──── front end (lexer, parse, ast, scope, compile, error, crate::compile_source)
//! ```
//!
//! Test code is left out (a `#[cfg(test)]` module, inline or in its own file): a unit test
//! may compile a program to have something to test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The front end: source text to a `Program`. `compile_source` (in `lib.rs`) is its entry.
const FRONT_END: [&str; 7] = [
    "lexer",
    "parse",
    "ast",
    "scope",
    "compile",
    "error",
    "compile_source",
];

/// Which top-level modules `module` must not name.
fn forbidden(module: &str) -> Vec<&'static str> {
    let mut f = Vec::new();
    if module != "cli" && module != "<root>" {
        // Nothing below the CLI knows it.
        f.push("cli");
    }
    match module {
        "sweep" => f.push("trace"),
        "trace" => f.push("sweep"),
        "vm" => {
            f.extend(["run", "sweep", "trace", "schedule"]);
            f.extend(FRONT_END);
        }
        // The instruction set depends on nothing else.
        "bytecode" => f.push("<any>"),
        _ => {}
    }
    f
}

/// Known exceptions: (module, target, the only path it may use there). Each is a debt.
const EXCEPTIONS: [(&str, &str, &str); 0] = [];

/// Whether every `crate::TARGET` path in `code` is the excepted one.
fn excepted(module: &str, target: &str, code: &str) -> bool {
    EXCEPTIONS.iter().any(|&(m, t, allowed)| {
        m == module
            && t == target
            && code
                .match_indices(&format!("crate::{target}"))
                .all(|(i, _)| code[i..].starts_with(allowed))
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`<root>` for lib.rs and main.rs).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or_default();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => "<root>".to_string(),
        Some(m) => m.to_string(),
        None => first.to_string(),
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The name of the module declared by `line` if it is `mod NAME;` or `mod NAME {` (any
/// visibility), and whether it is inline.
fn mod_decl(line: &str) -> Option<(&str, bool)> {
    let t = line.trim();
    let t = t
        .strip_prefix("pub(crate) ")
        .or(t.strip_prefix("pub "))
        .unwrap_or(t);
    let rest = t.strip_prefix("mod ")?;
    let name = ident(rest);
    let after = rest[name.len()..].trim();
    match after {
        ";" => Some((name, false)),
        "{" => Some((name, true)),
        _ => None,
    }
}

/// `code` without comment lines and without its inline `#[cfg(test)] mod … { … }` modules;
/// and the names of the test-only modules it declares in files of their own.
fn production_code(code: &str) -> (String, Vec<String>) {
    let lines: Vec<&str> = code.lines().collect();
    let mut kept = Vec::new();
    let mut test_files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim() == "#[cfg(test)]" {
            if let Some((name, inline)) = lines.get(i + 1).and_then(|l| mod_decl(l)) {
                if !inline {
                    test_files.push(name.to_string());
                    i += 2;
                    continue;
                }
                // Skip to the brace that closes the module (braces in string and char
                // literals left out of the count).
                let mut depth = 0i64;
                let mut j = i + 1;
                while j < lines.len() {
                    depth += brace_balance(lines[j]);
                    j += 1;
                    if depth <= 0 {
                        break;
                    }
                }
                i = j;
                continue;
            }
        }
        if !line.trim_start().starts_with("//") {
            kept.push(line);
        }
        i += 1;
    }
    (kept.join("\n"), test_files)
}

/// `{` minus `}` on a line, outside string and char literals and `//` comments.
fn brace_balance(line: &str) -> i64 {
    let mut n = 0;
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_str = true,
                '/' if chars.peek() == Some(&'/') => break,
                '\'' if matches!(chars.peek(), Some('{' | '}')) => {
                    chars.next();
                }
                '{' => n += 1,
                '}' => n -= 1,
                _ => {}
            }
        }
    }
    n
}

/// The top-level modules named by `crate::` paths in `text`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        // `gilvm_crate::` or `a_crate::` are not `crate::`.
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: the first segment of each top-level item.
            let mut depth = 0usize;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        item_start = false;
                        let name = ident(&group[k..]);
                        if !name.is_empty() {
                            found.insert(name.to_string());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

#[test]
fn the_scanner_reads_paths_and_groups() {
    let (code, test_files) = production_code(
        "use crate::vm::gil;\n// crate::cli in a comment\nuse crate::{bytecode::Program, run::{a, b},\n    schedule};\nlet x = crate::compile_source(a, b);\nmy_crate::z();\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod inline {\n    fn f() { let s = \"}\"; let c = '{'; crate::cli::main(); }\n}\nfn g() { crate::dis::f() }\n",
    );
    assert_eq!(test_files, ["tests"]);
    let found = imports(&code);
    let want: BTreeSet<String> = ["vm", "bytecode", "run", "schedule", "compile_source", "dis"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
}

#[test]
fn arrows_between_top_level_modules_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut code_of = BTreeMap::new();
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    for file in &files {
        let (code, test_mods) =
            production_code(&std::fs::read_to_string(file).expect("read source"));
        // `a/mod.rs`, `lib.rs` declare modules beside them; `a/b.rs` declares them in `a/b/`.
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let dir = file.parent().expect("a directory");
        let dir = if matches!(stem, "mod" | "lib" | "main") {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        for m in test_mods {
            test_only.insert(dir.join(format!("{m}.rs")));
            test_only.insert(dir.join(&m));
        }
        code_of.insert(file.clone(), code);
    }
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut excused = BTreeSet::new();
    for (file, code) in &code_of {
        if test_only.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let rel = file.strip_prefix(&src).expect("under src");
        let module = module_of(rel);
        for target in imports(code) {
            let target_module = target.clone();
            if target_module == module {
                continue;
            }
            if excepted(&module, &target_module, code) {
                excused.insert((module.clone(), target_module));
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .entry(target_module)
                .or_default()
                .push(rel.display().to_string());
        }
    }
    assert!(
        graph.contains_key("cli") && graph.contains_key("vm"),
        "the scan found the modules: {graph:?}"
    );
    let mut violations = Vec::new();
    for (module, targets) in &graph {
        let banned = forbidden(module);
        for (target, files) in targets {
            let is_banned = banned.contains(&"<any>") || banned.contains(&target.as_str());
            if is_banned {
                violations.push(format!("{module} → {target} (in {})", files.join(", ")));
            }
        }
    }
    for (m, t, _) in EXCEPTIONS {
        assert!(
            excused.contains(&(m.to_string(), t.to_string())),
            "the exception {m} → {t} is no longer needed: remove it from EXCEPTIONS"
        );
    }
    assert!(
        violations.is_empty(),
        "imports against the layering:\n  {}",
        violations.join("\n  ")
    );
}
