//! `ini.decode`'s corners, each checked against npm 11 by hand.

use super::*;

/// The value ini leaves for `key`, as `String()` prints it.
fn value(text: &str, key: &str) -> Option<String> {
  decode(text)
    .settings
    .into_iter()
    .find(|s| s.key == key)
    .map(|s| s.value.text())
}

const OBJECT: Option<&str> = Some("[object Object]");

#[test]
fn inline_comments_quotes_and_escapes() {
  let v = |text| value(text, "k");
  assert_eq!(
    v("k=https://r.example/ ; mirror").as_deref(),
    Some("https://r.example/")
  );
  assert_eq!(v("k=a#b").as_deref(), Some("a"));
  assert_eq!(v(r"k=a\;b\#c\\d\e").as_deref(), Some(r"a;b#c\d\e"));
  assert_eq!(v(r"k=trailing\").as_deref(), Some(r"trailing\"));
  // The quotes count only when they end the value.
  assert_eq!(v(r#"k = "a ; b""#).as_deref(), Some("a ; b"));
  assert_eq!(v(r#"k="a" ; c"#).as_deref(), Some(r#""a""#));
  assert_eq!(v(r#"k="\u0041\n""#).as_deref(), Some("A\n"));
  assert_eq!(v(r#"k="unterminated"#).as_deref(), Some(r#""unterminated"#));
  // Single quotes are removed, and then the inside is tried as JSON.
  assert_eq!(v("k='a ; b'").as_deref(), Some("a ; b"));
  assert_eq!(v("k='0x10'").as_deref(), Some("0x10"));
  assert_eq!(v("k='1e3'").as_deref(), Some("1000"));
  assert_eq!(v("k='[1,\"a\",null]'").as_deref(), Some("1,a,"));
  assert_eq!(v("k='").as_deref(), Some(""));
  assert_eq!(v("k=a=b=c").as_deref(), Some("a=b=c"));
  assert_eq!(v("k=").as_deref(), Some(""));
  assert_eq!(v("k").as_deref(), Some("true"));
  assert_eq!(v("=k").as_deref(), None);
  assert_eq!(v(" k;x = 1").as_deref(), Some("1"));
  // `.*` stops at U+2028, so that line is not a setting at all.
  assert_eq!(v("k=a\u{2028}b"), None);
}

#[test]
fn lines_bom_and_line_endings() {
  let got: Vec<_> = decode("\u{feff}a=1\r\nb=2\r\rc=3\n\u{feff}[s]\n")
    .settings
    .into_iter()
    .map(|s| (s.key, s.value.text(), s.line))
    .collect();
  let want = [
    ("a", "1", 1),
    ("b", "2", 2),
    ("c", "3", 4),
    ("[s]", "true", 5),
  ];
  // (A BOM anywhere but the start is no blank, so `\u{feff}[s]` is a key.)
  let want: Vec<_> = want
    .iter()
    .map(|(k, v, l)| (k.to_string(), v.to_string(), *l))
    .collect();
  assert_eq!(got, want);
}

#[test]
fn lists_and_key_order() {
  assert_eq!(value("k=1\nk=2", "k").as_deref(), Some("2"));
  assert_eq!(value("k[]=1\nk[]=2", "k").as_deref(), Some("1,2"));
  assert_eq!(value("k=1\nk[]=2\nk=3", "k").as_deref(), Some("1,2,3"));
  let keys: Vec<_> = decode("b=1\n10=1\n2=1\n02=1\n")
    .settings
    .into_iter()
    .map(|s| s.key)
    .collect();
  assert_eq!(keys, ["2", "10", "b", "02"]);
}

#[test]
fn sections() {
  // Nothing in a section is a setting; an empty key becomes the section.
  assert_eq!(value("k=\n[k]\nx=1", "k").as_deref(), OBJECT);
  assert_eq!(value("k=v\n[k]\nx=1", "k").as_deref(), Some("v"));
  assert_eq!(value("[s]\nk=1", "k"), None);
  assert_eq!(value("[s]\nk=1", "s").as_deref(), OBJECT);
  assert_eq!(value("a=1\n[a.b]", "a").as_deref(), OBJECT);
  assert_eq!(value("a=1\n[a.b]", "a.b"), None);
  assert_eq!(value("a.b=1\n[a\\.b]", "a.b").as_deref(), OBJECT);
  // Indented, it is no header but a key.
  assert_eq!(value("  [s]\nk=1", "k").as_deref(), Some("1"));
  assert_eq!(value("[s] \nk=1", "k"), None);
  assert_eq!(value("[__proto__]\nk=1", "k"), None);
  assert!(decode("[__proto__]\nk=1").settings.is_empty());
}

#[test]
fn a_section_named_after_a_list_writes_into_it() {
  // What npm 11 prints for these, item by item.
  let text = "k[]=a\nk[]=b\nk[]=c\n[k]\nlength=2\n5[]=x\n0[]=y\n0=w\nname=z\n[k.3]\n[k.1.0]\n";
  let s = decode(text).settings;
  assert_eq!(s.len(), 1, "{s:?}");
  assert_eq!(
    (s[0].key.as_str(), s[0].value.text().as_str(), s[0].line),
    ("k", "a,y,w,[object Object],,[object Object],,x", 11)
  );
  assert_eq!(value("k[]=a\n[k]\nlength=true", "k").as_deref(), Some("a"));
}

#[test]
fn where_npm_itself_fails() {
  for text in [
    "a=null\n[a.b]\n",
    "k[]=a\n[k]\nlength=x\n",
    "k[]=a\n[k]\nlength=-1\n",
    "k[]=a\n[k.length]\n",
    "k[]=a\nk.length='{}'\n",
  ] {
    assert!(decode(text).npm_fails, "{text:?}");
  }
  for text in ["a=1\n[a.b]\n", "k[]=a\n[k]\nlength=0x1\n", "k[]=a\n[k.x]\n"] {
    assert!(!decode(text).npm_fails, "{text:?}");
  }
}

#[test]
fn null_and_objects_with_dotted_names_move() {
  assert_eq!(value("a.b=null\nc.d=x", "a.b"), None);
  assert_eq!(value("a.b=null\nc.d=x", "a").as_deref(), OBJECT);
  assert_eq!(value("a.b=null\nc.d=x", "c.d").as_deref(), Some("x"));
  assert_eq!(value("a\\.b=null", "a.b").as_deref(), Some("null"));
  assert_eq!(value("a='{\"x\":1}'\nb=null", "b").as_deref(), Some("null"));
  assert_eq!(value("a[]=x\na.1=null", "a").as_deref(), Some("x,"));
  // Put in place of a list item, not added to it as a line would.
  assert_eq!(
    value("a[]=x\na[]='[1]'\na.1='{}'", "a").as_deref(),
    Some("x,[object Object]")
  );
  assert_eq!(
    value("a[]=x\na[]='[1]'\n[a]\n1='{}'", "a").as_deref(),
    Some("x,1,[object Object]")
  );
  assert_eq!(value("a[]=x\na.length=null", "a").as_deref(), Some(""));
}
