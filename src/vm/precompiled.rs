//! The prelude and the Python-written modules, compiled when gilvm was built (issue 21).
//!
//! Compiling the whole prelude (`vm/prelude.toy`, ≈700 lines) cost ≈14 M x86 instructions,
//! ≈2.3 ms: more than the rest of a short program's start-up, paid by every program with a
//! class or a generator, and again for each Python-written module it imports. gilvm keeps
//! their compiled [`Program`]s instead, in `precompiled.bin` (a [postcard] encoding of
//! [`Image`], checked in), and decodes the one a program needs.
//!
//! The image is only used while it is what the compiler would make now: `build.rs`
//! fingerprints the front end (`GILVM_FRONT_END_HASH`: the grammar, lexer, parser, scopes,
//! compiler and bytecode) and the image records the fingerprint it was made with, and each
//! section records a hash of the source text it was compiled from, compared with the text
//! this build has. Any difference and gilvm compiles the sources as it runs, as it always
//! did, while the test `precompiled_image_is_current` fails and says how to make the image
//! again: `GILVM_BLESS=1 cargo test --lib precompiled`.

use crate::bytecode::Program;

/// The checked-in image.
static IMAGE: &[u8] = include_bytes!("precompiled.bin");

/// The front end's fingerprint, from `build.rs`.
const FRONT_END_HASH: &str = env!("GILVM_FRONT_END_HASH");

/// The file: the fingerprint it was made with and one encoded program per section (decoded
/// only when needed).
#[derive(serde::Serialize, serde::Deserialize)]
struct Image<'a> {
    front_end: &'a str,
    #[serde(borrow)]
    sections: Vec<Section<'a>>,
}

/// One compiled source.
#[derive(serde::Serialize, serde::Deserialize)]
struct Section<'a> {
    name: &'a str,
    /// [`source_hash`] of the text it was compiled from.
    source: u64,
    program: &'a [u8],
}

/// FNV-1a (64 bits) of a source text: stable everywhere, and ≈0.1 ms for the prelude.
fn source_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The section of the prelude, whole (`full`) or its core only.
pub fn prelude_section(full: bool) -> &'static str {
    if full {
        "prelude"
    } else {
        "prelude core"
    }
}

/// The compiled program of `section` (the prelude, or a module's name), with `source` as its
/// text, if the image is current and has it.
pub fn load(section: &str, source: &str) -> Option<Program> {
    load_from(IMAGE, FRONT_END_HASH, section, source)
}

/// [`load`] from the image `bytes`, current if made with the fingerprint `front_end`.
fn load_from(bytes: &[u8], front_end: &str, section: &str, source: &str) -> Option<Program> {
    let image: Image = postcard::from_bytes(bytes).ok()?;
    if image.front_end != front_end {
        return None;
    }
    let found = image.sections.iter().find(|s| s.name == section)?;
    if found.source != source_hash(source) {
        return None;
    }
    let mut program: Program = postcard::from_bytes(found.program).ok()?;
    program.source = source.to_string();
    Some(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Compiling is the run layer's (the VM never compiles): only this test compiles here.
    /// Every section's name, source, and its program compiled now.
    fn compile_all() -> Vec<(String, &'static str, Program)> {
        use crate::vm::prelude;
        let compile = |source: &'static str| {
            crate::compile_source(prelude::FILENAME, source).unwrap_or_else(|e| {
                panic!("internal error: gilvm's own source does not compile: {e:?}")
            })
        };
        let mut all = vec![
            (
                prelude_section(false).to_string(),
                prelude::core_source(),
                compile(prelude::core_source()),
            ),
            (
                prelude_section(true).to_string(),
                prelude::SOURCE,
                compile(prelude::SOURCE),
            ),
        ];
        for m in crate::vm::pymodules::MODULES {
            all.push((m.id.name().to_string(), m.source, compile(m.source)));
        }
        all
    }

    /// The image as this build's compiler makes it.
    fn make() -> Vec<u8> {
        let all = compile_all();
        let encoded: Vec<(String, u64, Vec<u8>)> = all
            .into_iter()
            .map(|(name, source, mut program)| {
                // The text is gilvm's own, in the binary already: given back by `load`.
                program.source = String::new();
                let bytes = postcard::to_allocvec(&program).expect("a program encodes");
                (name, source_hash(source), bytes)
            })
            .collect();
        let image = Image {
            front_end: FRONT_END_HASH,
            sections: encoded
                .iter()
                .map(|(name, source, program)| Section {
                    name,
                    source: *source,
                    program,
                })
                .collect(),
        };
        postcard::to_allocvec(&image).expect("the image encodes")
    }

    #[test]
    fn precompiled_image_is_current() {
        let fresh = make();
        if fresh != IMAGE {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/vm/precompiled.bin");
            if std::env::var_os("GILVM_BLESS").is_some() {
                std::fs::write(path, &fresh).expect("writes the image");
                eprintln!("wrote {path} ({} bytes)", fresh.len());
                return;
            }
            panic!(
                "{path} is not what this compiler makes of the prelude and the modules \
                 (gilvm compiles them as it runs until it is): make it again with \
                 `GILVM_BLESS=1 cargo test --lib precompiled`"
            );
        }
        // Each section decodes to exactly what the compiler makes.
        for (name, source, program) in compile_all() {
            assert_eq!(load(&name, source).as_ref(), Some(&program), "{name}");
        }
    }

    #[test]
    fn a_stale_damaged_or_missing_section_is_compiled_instead() {
        let image = make();
        let core = crate::vm::prelude::core_source();
        let fresh = load_from(&image, FRONT_END_HASH, prelude_section(false), core);
        assert!(fresh.is_some_and(|p| p.source == core && !p.codes.is_empty()));
        assert!(load_from(&image, "0123456789abcdef", prelude_section(false), core).is_none());
        assert!(load_from(&image, FRONT_END_HASH, "no such section", core).is_none());
        // The prelude's core is not the whole prelude's text: its section is refused.
        let full = crate::vm::prelude::SOURCE;
        assert!(load_from(&image, FRONT_END_HASH, prelude_section(false), full).is_none());
        assert!(load_from(&image[..image.len() / 2], FRONT_END_HASH, "prelude", core).is_none());
        assert!(load_from(&[], FRONT_END_HASH, "prelude", core).is_none());
    }
}
