//! The FTS5 query of a search's free text (`q`).
//!
//! The index keeps no token positions (`detail = column`, see `index_db`),
//! so FTS5 refuses phrases: a quoted string that its tokenizer splits in
//! two (`"e-mail"`, `"don't"`, `"+1-555"`) fails the whole search with
//! "phrase queries are not supported". So the text is first split into the
//! very tokens the index holds, by FTS5's own tokenizer on an in-memory
//! table (one per reader thread), and each token is required on its own:
//! `e-mail` finds the vCons holding both `e` and `mail`. No FTS5 syntax in
//! the user's text is interpreted; a trailing `*` on a word keeps its
//! meaning of prefix search, on the word's last token.

use std::cell::RefCell;

use rusqlite::Connection;

use super::index_db::TOKENIZE;

thread_local! {
    /// This thread's tokenizer connection, opened at its first search.
    static TOKENIZER: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// The FTS5 query requiring every token of `text`, with the prefix marks of
/// its words; `None` when the text holds no token at all (only
/// punctuation, say), which no indexed vCon can match.
pub(super) fn fts_query(text: &str) -> Option<String> {
    let mut parts = Vec::new();
    for word in text.split_whitespace() {
        let (stem, prefix) = match word.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (word, false),
        };
        let tokens = tokens(stem);
        let last = tokens.len().saturating_sub(1);
        for (i, token) in tokens.iter().enumerate() {
            let star = if prefix && i == last { "*" } else { "" };
            parts.push(format!("\"{}\"{star}", token.replace('"', "\"\"")));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The tokens the index's tokenizer makes of `text`, in order. Should the
/// tokenizer connection fail (it runs in memory), the text is split on
/// every character that is not alphanumeric, which is the same for
/// everything but a few marks of some scripts.
fn tokens(text: &str) -> Vec<String> {
    TOKENIZER
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            let conn = match slot.take() {
                Some(conn) => conn,
                None => open()?,
            };
            let tokens = tokenize(&conn, text);
            *slot = Some(conn);
            tokens
        })
        .unwrap_or_else(|_| {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|t| !t.is_empty())
                .map(str::to_lowercase)
                .collect()
        })
}

fn open() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE words USING fts5 (x, tokenize = '{TOKENIZE}');
         CREATE VIRTUAL TABLE word_list USING fts5vocab (words, 'instance');"
    ))?;
    Ok(conn)
}

/// Tokenizes `text` as its one row, removed again whatever happened (a row
/// left behind would make every later insert on this thread fail).
fn tokenize(conn: &Connection, text: &str) -> rusqlite::Result<Vec<String>> {
    let tokens = conn
        .execute("INSERT INTO words (rowid, x) VALUES (1, ?1)", [text])
        .and_then(|_| {
            conn.prepare_cached("SELECT term FROM word_list ORDER BY offset")?
                .query_map([], |r| r.get(0))?
                .collect()
        });
    let cleared = conn.execute("DELETE FROM words", []);
    let tokens = tokens?;
    cleared?;
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// An index with the real one's options, holding one row.
    fn index() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE t USING fts5 (text, keys, content = '',
                 contentless_delete = 1, detail = column, tokenize = '{TOKENIZE}');
             INSERT INTO t (rowid, text, keys) VALUES (1, 'Follow-up: e-mail, don''t wait', '');"
        ))
        .unwrap();
        conn
    }

    fn matches(conn: &Connection, text: &str) -> rusqlite::Result<Vec<i64>> {
        let Some(q) = fts_query(text) else {
            return Ok(Vec::new());
        };
        conn.prepare("SELECT rowid FROM t WHERE t MATCH ?1")?
            .query_map([format!("text : ({q})")], |r| r.get(0))?
            .collect()
    }

    #[test]
    fn the_index_finds_words_with_punctuation() {
        let conn = index();
        for q in ["e-mail", "FOLLOW-UP", "don't", "e-ma*", "wait"] {
            assert_eq!(matches(&conn, q).unwrap(), [1], "{q}");
        }
        assert!(matches(&conn, "mail-order").unwrap().is_empty());
    }

    proptest! {
        /// Whatever a user types, the query is one FTS5 accepts on this index.
        #[test]
        fn any_text_gives_a_query_the_index_accepts(text in "\\PC{0,40}") {
            let conn = index();
            prop_assert!(matches(&conn, &text).is_ok(), "{:?}", fts_query(&text));
        }

        #[test]
        fn punctuation_and_mixed_scripts_too(text in "[a-zA-Z0-9 '\"*:()^+.#-]{0,30}|[\\u{0900}-\\u{097F}\\u{0300}-\\u{036F}a ]{0,12}") {
            let conn = index();
            prop_assert!(matches(&conn, &text).is_ok(), "{:?}", fts_query(&text));
        }
    }

    #[test]
    fn each_token_is_required_on_its_own() {
        assert_eq!(fts_query("refund").as_deref(), Some(r#""refund""#));
        assert_eq!(
            fts_query("E-mail don't").as_deref(),
            Some(r#""e" "mail" "don" "t""#)
        );
        assert_eq!(
            fts_query("+1-555-0100 order#42").as_deref(),
            Some(r#""1" "555" "0100" "order" "42""#)
        );
        // Folded as the index folds them.
        assert_eq!(fts_query("Déjà").as_deref(), Some(r#""deja""#));
    }

    #[test]
    fn a_trailing_star_is_a_prefix_on_the_last_token() {
        assert_eq!(fts_query("ref*").as_deref(), Some(r#""ref"*"#));
        assert_eq!(fts_query("e-ma*").as_deref(), Some(r#""e" "ma"*"#));
    }

    #[test]
    fn query_syntax_is_not_interpreted() {
        assert_eq!(
            fts_query(r#"a OR "b" NOT c:d"#).as_deref(),
            Some(r#""a" "or" "b" "not" "c" "d""#)
        );
    }

    #[test]
    fn text_without_tokens_gives_no_query() {
        assert_eq!(fts_query("- !! *"), None);
        assert_eq!(fts_query(""), None);
    }
}
