#!/usr/bin/env node
// Prints the flag table of src/npm_flags.rs from npm's own definitions, as
// npm's nopt will read them. Give it one or more npm package directories
// (e.g. "$(npm root -g)/npm", or npm 8, 9, 10, 12 installed with
// `npm install --prefix /tmp/npm8 npm@8`); the table is their union, and a
// flag that only some of them define says which in a comment.
//
//   node tests/support/npm-flags.js /usr/lib/node_modules/npm /tmp/npm8/node_modules/npm …
//
// With --json it prints what tests/npm_flags.rs compares against instead.
'use strict'
const fs = require('fs')
const path = require('path')

// npm ≥ 9 keeps its definitions in @npmcli/config; npm 8 in lib/utils/config.
function load (root) {
  const version = require(path.join(root, 'package.json')).version
  const candidates = [
    'node_modules/@npmcli/config/lib/definitions/index.js',
    'lib/utils/config/index.js',
  ]
  const file = candidates.map((c) => path.join(root, c)).find((f) => fs.existsSync(f))
  if (!file) {
    throw new Error(`no config definitions under ${root}`)
  }
  const { definitions, shorthands } = require(file)
  return { version, definitions, shorthands }
}

// The shape of a type, as nopt's parse() and @npmcli/config's parseField()
// look at it: whether it is a list (nopt reads `[X]` as `X`), and which of
// Boolean, String, Number, null, Array and literal words it allows. What a
// type validates never matters there. src/npm_flags.rs has the same fields.
function shape (type) {
  const t = Array.isArray(type) && type.length === 1 ? type[0] : type
  const list = Array.isArray(t)
  const has = (x) => (list ? t.includes(x) : t === x)
  return {
    list,
    boolean: has(Boolean),
    string: has(String),
    number: has(Number),
    null: has(null),
    array: has(Array),
    words: list ? t.filter((x) => typeof x === 'string') : [],
  }
}

// The same shape as Rust, using the constants of src/npm_flags.rs.
function rust (s) {
  if (!s.list) {
    if (s.null || s.array) {
      throw new Error('a type of null or Array alone is not modelled')
    }
    return s.boolean ? 'BOOLEAN' : s.string ? 'STRING' : s.number ? 'NUMBER' : 'OTHER'
  }
  const fields = []
  for (const f of ['boolean', 'string', 'number', 'null', 'array']) {
    if (s[f]) {
      fields.push(`${f}: true`)
    }
  }
  if (s.words.length) {
    fields.push(`words: &[${s.words.map((w) => JSON.stringify(w)).join(', ')}]`)
  }
  return fields.length ? `Type { ${fields.join(', ')}, ..LIST }` : 'LIST'
}

// Every shorthand as the list of arguments it stands for.
function expansion (value) {
  return [].concat(value).flatMap((x) => x.split(/\s+/))
}

// A type that parses as `s` does, for nopt (`--parse` with npmx's own table).
// url and path are there only to keep a list a list: nopt's parse() looks for
// neither.
function typeOf (s, typeDefs) {
  const other = [typeDefs.url.type, typeDefs.path.type]
  if (!s.list) {
    return s.boolean ? Boolean : s.string ? String : s.number ? Number : other[0]
  }
  return [
    ...s.words,
    ...(s.null ? [null] : []),
    ...(s.boolean ? [Boolean] : []),
    ...(s.string ? [String] : []),
    ...(s.number ? [Number] : []),
    ...(s.array ? [Array] : []),
    ...other,
  ]
}

// `--parse NPM_DIR`: stdin is {"argvs": [[…]…], "table": optional npmx table};
// prints, for each argv, what nopt's parse() (before clean()) makes of it with
// npm's definitions, or with the table when given: [{"data", "remain"}…].
// (With npm's definitions, abbreviations are those of this npm version.)
function parse (npm, root) {
  const file = path.join(root, 'node_modules/nopt/lib/nopt-lib.js')
  if (!fs.existsSync(file)) {
    // nopt < 7 (npm 8) exports no parse() without clean().
    process.stderr.write(`no nopt-lib.js under ${root}\n`)
    process.exit(3)
  }
  const nopt = require(file)
  const input = JSON.parse(fs.readFileSync(0, 'utf8'))
  let types = Object.fromEntries(Object.entries(npm.definitions).map(([k, d]) => [k, d.type]))
  let shorthands = npm.shorthands
  if (input.table) {
    types = Object.fromEntries(Object.entries(input.table.flags).map(([k, s]) => [k, typeOf(s, nopt.typeDefs)]))
    shorthands = input.table.shorthands
  }
  const out = input.argvs.map((argv) => {
    const data = {}
    const remain = []
    nopt.parse([...argv], data, remain, { types, shorthands: { ...shorthands }, typeDefs: nopt.typeDefs })
    // JSON has no Infinity: numbers go as {"number": text}.
    const number = (v) => (typeof v === 'number' ? { number: String(v) } : v)
    for (const [k, v] of Object.entries(data)) {
      data[k] = Array.isArray(v) ? v.map(number) : number(v)
    }
    return { data, remain }
  })
  process.stdout.write(JSON.stringify(out))
}

function table (npms) {
  const majors = npms.map((n) => n.version.split('.')[0])
  const flags = new Map()
  const shorthands = new Map()
  npms.forEach(({ definitions, shorthands: sh }, i) => {
    for (const [key, def] of Object.entries(definitions)) {
      const s = shape(def.type)
      const seen = flags.get(key) ?? { types: new Set(), words: new Set(), in: [] }
      // Literal words differ between versions (npm 11 added access=private);
      // the table has them all. Any other difference stops the table.
      seen.types.add(JSON.stringify({ ...s, words: [] }))
      s.words.forEach((w) => seen.words.add(w))
      seen.in.push(majors[i])
      flags.set(key, seen)
    }
    for (const [s, value] of Object.entries(sh)) {
      const e = JSON.stringify(expansion(value))
      const seen = shorthands.get(s) ?? { expansions: new Set(), in: [] }
      seen.expansions.add(e)
      seen.in.push(majors[i])
      shorthands.set(s, seen)
    }
  })
  const only = (list) =>
    list.length === npms.length ? '' : ` // npm ${list.sort((a, b) => a - b).join(', ')} only`
  const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
  const versions = npms.map((n) => n.version).sort((a, b) => a.split('.')[0] - b.split('.')[0])
  let out = '//! Generated by tests/support/npm-flags.js; do not edit. Regenerate with\n'
  out += '//! `node tests/support/npm-flags.js NPM_DIR… > src/npm_flags/table.rs`\n'
  out += `//! (here from npm ${versions.join(', ')}).\n`
  out += '//! A flag only some of those define says which; literal words are those of\n'
  out += '//! every version (npm 11 added `access=private`, for one).\n\n'
  out += 'use super::{BOOLEAN, LIST, NUMBER, OTHER, STRING, Type};\n\n'
  out += '/// Every flag npm defines, sorted by name.\n'
  out += '#[rustfmt::skip]\n'
  out += 'pub(super) const FLAGS: &[(&str, Type)] = &[\n'
  for (const key of [...flags.keys()].sort(byCodeUnit)) {
    const { types, words, in: seenIn } = flags.get(key)
    if (types.size > 1) {
      throw new Error(`${key} parses differently between npm versions: ${[...types].join(' / ')}`)
    }
    const s = { ...JSON.parse([...types][0]), words: [...words] }
    out += `  (${JSON.stringify(key)}, ${rust(s)}),${only(seenIn)}\n`
  }
  out += '];\n\n'
  out += '/// npm\'s shorthands and the arguments each stands for, sorted by name.\n'
  out += '#[rustfmt::skip]\n'
  out += 'pub(super) const SHORTHANDS: &[(&str, &[&str])] = &[\n'
  for (const s of [...shorthands.keys()].sort(byCodeUnit)) {
    const { expansions, in: seenIn } = shorthands.get(s)
    if (expansions.size > 1) {
      throw new Error(`shorthand ${s} differs between npm versions: ${[...expansions].join(' / ')}`)
    }
    out += `  (${JSON.stringify(s)}, &${[...expansions][0].replace(/,/g, ', ')}),${only(seenIn)}\n`
  }
  out += '];\n'
  return out
}

function main () {
  const [mode, ...rest] = process.argv.slice(2)
  const roots = mode && mode.startsWith('--') ? rest : process.argv.slice(2)
  if (!roots.length) {
    throw new Error('usage: npm-flags.js [--json|--parse] NPM_DIR…')
  }
  const npms = roots.map(load)
  if (mode === '--json') {
    const { version, definitions, shorthands } = npms[0]
    process.stdout.write(JSON.stringify({
      version,
      flags: Object.fromEntries(Object.entries(definitions).map(([k, d]) => [k, shape(d.type)])),
      shorthands: Object.fromEntries(Object.entries(shorthands).map(([s, v]) => [s, expansion(v)])),
    }))
  } else if (mode === '--parse') {
    parse(npms[0], roots[0])
  } else {
    process.stdout.write(table(npms))
  }
}

main()
