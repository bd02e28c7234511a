//! The module graph, read from the sources' own paths (`crate::…`, `super::…`, `self::…`, a
//! `mod.rs`'s children, the CLI's `nudge_edge::…`), outside test code.
//!
//! Two rules hold: no two files import each other through any chain, except inside a registry
//! (a directive, filter or tag and the table that lists it), and the crate's top-level modules
//! stand on floors, each importing only from floors below its own. The floors are printed by
//! `cargo test --test floors -- --nocapture` and ARCHITECTURE.md shows exactly that picture
//! (this test fails when they differ; `UPDATE_FLOORS=1` rewrites the picture there).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Files that may import each other: a registry and the files it runs through.
const REGISTRIES: [(&str, &[&str]); 2] = [
    (
        "mapping's directives",
        &[
            "src/mapping/directives/",
            "src/mapping/check.rs",
            "src/mapping/node.rs",
        ],
    ),
    (
        "liquid's filters and tags",
        &[
            "src/liquid/filters/",
            "src/liquid/tags/",
            "src/liquid/ast.rs",
            "src/liquid/parser.rs",
            "src/liquid/render.rs",
        ],
    ),
];

const PICTURE_START: &str = "<!-- floors: cargo test --test floors -- --nocapture -->";
const PICTURE_END: &str = "<!-- /floors -->";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, as paths relative to the crate root (`src/json/read.rs`).
fn sources(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root()).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The code of a file without its comments and without test code (everything from the first
/// top-level `#[cfg(test)]`: the crate keeps its tests, and their helpers, at the end).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        // A trailing comment, unless the `//` is inside a string (`"https://…"`).
        let cut = line
            .match_indices("//")
            .map(|(i, _)| i)
            .find(|&i| line[..i].matches('"').count() % 2 == 0)
            .unwrap_or(line.len());
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// The module path of a file (`src/json/read.rs` → `["json", "read"]`; the CLI is `bin`).
fn module_of(file: &str) -> Vec<String> {
    let inner = file
        .strip_prefix("src/")
        .unwrap()
        .strip_suffix(".rs")
        .unwrap();
    let mut path: Vec<String> = inner.split('/').map(str::to_string).collect();
    if path.first().is_some_and(|p| p == "bin") {
        return vec!["bin".into()];
    }
    if path.last().is_some_and(|p| p == "mod" || p == "lib") {
        path.pop();
    }
    path
}

/// Identifiers following `prefix` in `code`: `crate::a::b::{c, d}` gives `[a, b]` (a brace
/// group ends the path; its names are resolved one by one by the caller through `groups`).
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        let mut path = Vec::new();
        let mut tail = rest;
        loop {
            let ident: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                tail = &tail[ident.len()..];
                path.push(ident);
                match tail.strip_prefix("::") {
                    Some(t) => tail = t,
                    None => break,
                }
            } else if let Some(group) = tail.strip_prefix('{') {
                // `prefix::{a::b, c}`: each member is a path of its own.
                let end = group.find('}').unwrap_or(group.len());
                for member in group[..end].split(',') {
                    let member = member.trim().split(" as ").next().unwrap_or("");
                    let mut each = path.clone();
                    each.extend(
                        member
                            .split("::")
                            .map(str::trim)
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(str::to_string),
                    );
                    found.push(each);
                }
                path.clear();
                break;
            } else {
                break;
            }
        }
        if !path.is_empty() {
            found.push(path);
        }
    }
    found
}

/// How a path written in `file` reads from the crate's root: `crate::` (`nudge_edge::` in the
/// CLI), `super::`, `self::`, or a child module's own name.
struct Place {
    module: Vec<String>,
    children: Vec<String>,
    crate_prefix: &'static str,
}

impl Place {
    fn new(file: &str, code: &str) -> Place {
        let children = code
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                line.strip_prefix("pub mod ")
                    .or_else(|| line.strip_prefix("mod "))
                    .or_else(|| line.strip_prefix("pub(crate) mod "))
                    .and_then(|rest| rest.strip_suffix(';'))
                    .map(str::to_string)
            })
            .collect();
        Place {
            module: module_of(file),
            children,
            crate_prefix: if file.starts_with("src/bin/") {
                "nudge_edge::"
            } else {
                "crate::"
            },
        }
    }

    /// Every path in `code`, from the crate's root.
    fn paths(&self, code: &str) -> Vec<Vec<String>> {
        let parent = &self.module[..self.module.len().saturating_sub(1)];
        let mut found = paths_after(code, self.crate_prefix);
        for path in paths_after(code, "super::") {
            // `super::super::x`: one level up for each.
            let ups = path.iter().take_while(|s| *s == "super").count();
            let base = &parent[..parent.len().saturating_sub(ups)];
            found.push(
                base.iter()
                    .cloned()
                    .chain(path[ups..].iter().cloned())
                    .collect(),
            );
        }
        for path in paths_after(code, "self::") {
            found.push(self.module.iter().cloned().chain(path).collect());
        }
        for child in &self.children {
            for path in paths_after(code, &format!("{child}::")) {
                let child_path = self.module.iter().cloned().chain([child.clone()]);
                found.push(child_path.chain(path).collect());
            }
        }
        found
    }
}

/// A file's `use …;` statements, each with whether it is public (`pub use`, `pub(crate) use`:
/// the module's face, what it lets others name through it).
fn uses(code: &str) -> Vec<(&str, bool)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("use ") {
        let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
        let before = code[line_start..at].trim();
        let public = match before {
            "" => false,
            "pub" | "pub(crate)" | "pub(super)" => true,
            _ => continue,
        };
        let rest = &code[at..];
        found.push((
            &rest[..rest.find(';').map_or(rest.len(), |e| e + 1)],
            public,
        ));
    }
    found
}

/// The file defining what `path` names, through the re-exports on the way (bounded, as a
/// re-export can only name another).
fn resolve(
    files: &BTreeMap<Vec<String>, String>,
    faces: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    path: &[String],
    hops: usize,
) -> Option<String> {
    let n = (0..=path.len())
        .rev()
        .find(|n| files.contains_key(&path[..*n]))?;
    let file = files[&path[..n]].clone();
    let (Some(name), true) = (path.get(n), hops < 8) else {
        return Some(file);
    };
    match faces.get(&file).and_then(|face| face.get(name)) {
        Some(target) => {
            let onward: Vec<String> = target.iter().chain(&path[n + 1..]).cloned().collect();
            resolve(files, faces, &onward, hops + 1).or(Some(file))
        }
        None => Some(file),
    }
}

/// Every file and the files it imports (names taken through a module's re-exports count as
/// imports of the file that defines them).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut list = Vec::new();
    sources(&root().join("src"), &mut list);
    let files: BTreeMap<Vec<String>, String> =
        list.iter().map(|f| (module_of(f), f.clone())).collect();
    let codes: BTreeMap<String, String> = list
        .iter()
        .map(|f| {
            (
                f.clone(),
                code(&fs::read_to_string(root().join(f)).unwrap()),
            )
        })
        .collect();
    let places: BTreeMap<&String, Place> =
        codes.iter().map(|(f, c)| (f, Place::new(f, c))).collect();
    let mut faces: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (file, code) in &codes {
        let place = &places[file];
        for (statement, _) in uses(code) {
            let body = statement.strip_prefix("use ").unwrap_or("");
            for path in place.paths(body) {
                let Some(last) = path.last() else { continue };
                // `a::{b as c}`: named `c` here.
                let alias = body
                    .split(&format!("{last} as "))
                    .nth(1)
                    .map(|rest| rest.split([',', '}', ';']).next().unwrap_or("").trim());
                let name = alias.filter(|a| !a.is_empty()).unwrap_or(last).to_string();
                faces.entry(file.clone()).or_default().insert(name, path);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (file, code) in &codes {
        let place = &places[file];
        let mut own_code = code.clone();
        for (statement, public) in uses(code) {
            if public {
                own_code = own_code.replace(statement, "");
            }
        }
        let imports: BTreeSet<String> = place
            .paths(&own_code)
            .iter()
            .filter_map(|path| resolve(&files, &faces, path, 0))
            .filter(|t| t != file && t != "src/lib.rs")
            .collect();
        graph.insert(file.clone(), imports);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan's algorithm, iterative).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let names: Vec<&String> = graph.keys().collect();
    let index_of: BTreeMap<&String, usize> =
        names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            graph[*n]
                .iter()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    let n = names.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut next, mut found) = (Vec::new(), 0, Vec::new());
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some((v, edge)) = work.pop() {
            if edge == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(edge) {
                work.push((v, edge + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = BTreeSet::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.insert(names[w].clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    found.push(component);
                }
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    found
}

fn in_registry(file: &str, members: &[&str]) -> bool {
    members
        .iter()
        .any(|m| file == *m || (m.ends_with('/') && file.starts_with(m)))
}

/// The top-level module a file belongs to (`src/json/read.rs` → `json`).
fn top(file: &str) -> String {
    module_of(file).first().cloned().unwrap_or_default()
}

/// Each top-level module's floor and the top-level modules it imports.
type Floors = BTreeMap<String, (usize, BTreeSet<String>)>;

/// Each top-level module's floor (0 for one that imports nothing of the crate; otherwise one
/// above the highest it imports) and what it imports; `Err` names the modules in a cycle.
fn floors(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Floors, Vec<String>> {
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, targets) in graph {
        let from = top(file);
        let entry = imports.entry(from.clone()).or_default();
        entry.extend(
            targets
                .iter()
                .map(|t| top(t))
                .filter(|t| *t != from && !t.is_empty()),
        );
    }
    imports.remove("");
    let mut floor: BTreeMap<String, usize> = BTreeMap::new();
    while floor.len() < imports.len() {
        let ready: Vec<(String, usize)> = imports
            .iter()
            .filter(|(m, _)| !floor.contains_key(*m))
            .filter(|(_, deps)| deps.iter().all(|d| floor.contains_key(d)))
            .map(|(m, deps)| {
                let f = deps.iter().map(|d| floor[d] + 1).max().unwrap_or(0);
                (m.clone(), f)
            })
            .collect();
        if ready.is_empty() {
            return Err(imports
                .keys()
                .filter(|m| !floor.contains_key(*m))
                .cloned()
                .collect());
        }
        floor.extend(ready);
    }
    Ok(imports
        .into_iter()
        .map(|(m, deps)| (m.clone(), (floor[&m], deps)))
        .collect())
}

/// The floors, top first, as ARCHITECTURE.md shows them.
fn picture(floors: &Floors) -> String {
    let highest = floors.values().map(|(f, _)| *f).max().unwrap_or(0);
    let mut out = String::from("```\n");
    for level in (0..=highest).rev() {
        let mut here: Vec<String> = Vec::new();
        for (module, (f, deps)) in floors {
            if *f == level {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                here.push(if deps.is_empty() {
                    module.clone()
                } else {
                    format!("{module} → {}", deps.join(", "))
                });
            }
        }
        for (i, line) in here.iter().enumerate() {
            let label = if i == 0 {
                format!("{level:>2}")
            } else {
                "  ".into()
            };
            out.push_str(&format!("{label}  {line}\n"));
        }
    }
    out.push_str("```\n");
    out
}

#[test]
fn no_cycle_outside_a_registry() {
    let graph = graph();
    assert!(
        graph.len() > 100,
        "the sources were not found: {}",
        graph.len()
    );
    let mut outside = Vec::new();
    for cycle in cycles(&graph) {
        let registry = REGISTRIES
            .iter()
            .find(|(_, members)| cycle.iter().all(|f| in_registry(f, members)));
        match registry {
            Some((name, _)) => println!("a cycle within {name}: {} files", cycle.len()),
            None => outside.push(cycle),
        }
    }
    let ties: Vec<String> = outside
        .iter()
        .flat_map(|cycle| {
            cycle.iter().flat_map(|from| {
                graph[from]
                    .iter()
                    .filter(|to| cycle.contains(*to))
                    .map(move |to| format!("{from} → {to}"))
            })
        })
        .collect();
    assert!(
        outside.is_empty(),
        "files importing each other:\n{}",
        ties.join("\n")
    );
}

#[test]
fn the_graph_reads_known_imports() {
    // The reader itself must see what is there, or the other tests prove nothing.
    let graph = graph();
    let imports = |f: &str| graph.get(f).cloned().unwrap_or_default();
    assert!(imports("src/property.rs").contains("src/event.rs"));
    assert!(imports("src/json/write.rs").contains("src/js/string.rs"));
    assert!(imports("src/subscription/lexer.rs").contains("src/subscription/error.rs"));
    assert!(imports("src/queue/consume.rs").contains("src/delivery/dispatch.rs"));
    // Through a re-export: `Route` is defined in routes.rs and named through `ingest`.
    assert!(imports("src/tester.rs").contains("src/ingest/routes.rs"));
    assert!(imports("src/bin/nudge-edge.rs").contains("src/plan.rs"));
    assert!(imports("src/mapping/directives/mod.rs").contains("src/mapping/directives/case.rs"));
    let made_up: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(
        cycles(&made_up),
        vec![BTreeSet::from(["a".into(), "b".into()])]
    );
}

#[test]
fn modules_stand_on_floors_shown_in_architecture_md() {
    let floors = floors(&graph())
        .unwrap_or_else(|cycle| panic!("top-level modules importing each other: {cycle:?}"));
    let drawn = picture(&floors);
    println!("{drawn}");
    let path = root().join("ARCHITECTURE.md");
    let doc = fs::read_to_string(&path).unwrap();
    let start = doc
        .find(PICTURE_START)
        .expect("ARCHITECTURE.md has the floors marker");
    let end = doc
        .find(PICTURE_END)
        .expect("ARCHITECTURE.md has the floors end marker");
    let shown = doc[start + PICTURE_START.len()..end].trim_start_matches('\n');
    if shown != drawn {
        if std::env::var_os("UPDATE_FLOORS").is_some() {
            let updated = format!("{}{PICTURE_START}\n{drawn}{}", &doc[..start], &doc[end..]);
            fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "ARCHITECTURE.md's floors differ from the code's; run \
                 `UPDATE_FLOORS=1 cargo test --test floors` and read the change:\n{drawn}"
            );
        }
    }
}
