//! The FTS5 query of a search's free text (`q`).
//!
//! The index keeps no token positions (`detail = column`, see `index_db`),
//! so FTS5 refuses phrases: a quoted string that its tokenizer splits in
//! two (`"e-mail"`, `"don't"`, `"+1-555"`) fails the whole search with
//! "phrase queries are not supported". So the text is first split into the
//! very tokens the index holds, by FTS5's own tokenizer on an in-memory
//! table (one per reader thread), and the index is asked for the vCons
//! holding every token ([`TextQuery::tokens`]). A word of several tokens
//! must also hold them in order, side by side: `e-mail` must not find a
//! vCon saying `e` here and `mail` there. The index cannot tell, so each
//! vCon it returns for such a word has its text checked against the
//! word's phrase ([`TextQuery::phrases`], [`holds_phrases`]) on an
//! in-memory table that keeps positions. No FTS5 syntax in the user's
//! text is interpreted; a trailing `*` on a word keeps its meaning of
//! prefix search, on the word's last token.

use std::cell::RefCell;

use rusqlite::Connection;

use super::index_db::TOKENIZE;

thread_local! {
    /// This thread's tokenizer connection, opened at its first search.
    static TOKENIZER: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// The FTS5 queries of a search's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextQuery {
    /// Every token required, for the index; `None` when the text holds no
    /// token at all (only punctuation, say), which no indexed vCon can match.
    pub tokens: Option<String>,
    /// Every word as a phrase of its tokens (`"e" + "mail"`), for
    /// [`holds_phrases`]; `None` when no word has more than one token, so
    /// that the index's answer is already exact.
    pub phrases: Option<String>,
}

impl TextQuery {
    /// The queries of `text`.
    pub(super) fn of(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut phrases = Vec::new();
        let mut joined = false;
        for word in text.split_whitespace() {
            let (stem, prefix) = match word.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (word, false),
            };
            let words = split(stem);
            let Some(last) = words.len().checked_sub(1) else {
                continue;
            };
            let quoted: Vec<String> = words
                .iter()
                .enumerate()
                .map(|(i, token)| {
                    let star = if prefix && i == last { "*" } else { "" };
                    format!("\"{}\"{star}", token.replace('"', "\"\""))
                })
                .collect();
            joined |= quoted.len() > 1;
            phrases.push(quoted.join(" + "));
            tokens.extend(quoted);
        }
        Self {
            tokens: (!tokens.is_empty()).then(|| tokens.join(" ")),
            phrases: joined.then(|| phrases.join(" ")),
        }
    }
}

/// The FTS5 query requiring every token of `text`, with the prefix marks of
/// its words ([`TextQuery::tokens`]).
#[cfg(test)]
fn fts_query(text: &str) -> Option<String> {
    TextQuery::of(text).tokens
}

/// Whether `text` holds every phrase of `phrases` ([`TextQuery::phrases`]),
/// as the index's tokenizer splits it. Should the in-memory table fail,
/// the answer is `true`: the search then keeps what the index found.
pub(super) fn holds_phrases(text: &str, phrases: &str) -> bool {
    with_tokenizer(|conn| {
        let found = conn
            .execute("INSERT INTO texts (rowid, x) VALUES (1, ?1)", [text])
            .and_then(|_| {
                conn.prepare_cached("SELECT count(*) FROM texts WHERE texts MATCH ?1")?
                    .query_row([phrases], |r| r.get::<_, i64>(0))
            });
        let cleared = conn.execute("DELETE FROM texts", []);
        let found = found?;
        cleared?;
        Ok(found > 0)
    })
    .unwrap_or(true)
}

/// The tokens the index's tokenizer makes of `text`, in order. Should the
/// tokenizer connection fail (it runs in memory), the text is split on
/// every character that is not alphanumeric, which is the same for
/// everything but a few marks of some scripts.
fn split(text: &str) -> Vec<String> {
    with_tokenizer(|conn| tokenize(conn, text)).unwrap_or_else(|_| {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect()
    })
}

/// Runs `f` on this thread's tokenizer connection, opening it first if
/// needed.
fn with_tokenizer<T>(f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    TOKENIZER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let conn = match slot.take() {
            Some(conn) => conn,
            None => open()?,
        };
        let out = f(&conn);
        *slot = Some(conn);
        out
    })
}

/// `words` splits a text into tokens (`word_list`); `texts` keeps their
/// positions, to match phrases.
fn open() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE words USING fts5 (x, tokenize = '{TOKENIZE}');
         CREATE VIRTUAL TABLE word_list USING fts5vocab (words, 'instance');
         CREATE VIRTUAL TABLE texts USING fts5 (x, tokenize = '{TOKENIZE}');"
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
    fn words_of_several_tokens_become_phrases() {
        assert_eq!(TextQuery::of("refund wait").phrases, None);
        assert_eq!(
            TextQuery::of("E-mail refund don't").phrases.as_deref(),
            Some(r#""e" + "mail" "refund" "don" + "t""#)
        );
        assert_eq!(
            TextQuery::of("e-ma*").phrases.as_deref(),
            Some(r#""e" + "ma"*"#)
        );
    }

    #[test]
    fn phrases_hold_only_side_by_side_and_in_order() {
        let text = "Follow-up: e-mail the customer, don't wait";
        let holds = |q: &str| holds_phrases(text, &TextQuery::of(q).phrases.unwrap());
        for q in [
            "e-mail",
            "E-MAIL wait",
            "follow-up",
            "don't",
            "e-ma*",
            "up-e",
        ] {
            assert!(holds(q), "{q}");
        }
        for q in ["mail-e", "e-customer", "follow-mail", "don't-follow"] {
            assert!(!holds(q), "{q}");
        }
        // The table is empty again after each check.
        assert!(holds("e-mail"));
    }

    #[test]
    fn text_without_tokens_gives_no_query() {
        assert_eq!(fts_query("- !! *"), None);
        assert_eq!(fts_query(""), None);
    }
}
