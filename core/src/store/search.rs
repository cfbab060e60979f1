//! Full-text search over contacts, articles and documents (`SQLite` FTS5).

use rusqlite::Connection;
use uuid::Uuid;

use super::StoreError;
use super::company::corrupt;
use crate::model::DocumentKind;

/// What a search hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKind {
    Contact,
    Article,
    Document(DocumentKind),
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: Uuid,
    /// The name, or a document's number (empty while it waits for one).
    pub title: String,
    /// A second line: city, article code, customer and date.
    pub detail: String,
}

/// Indexes the rows queued in `search_pending` (see migration 0002), in one statement per
/// table, and takes them off the queue. Called by every write transaction before it
/// commits; while a first download runs, without `documents`: contacts and articles are
/// searchable as soon as they arrive (the editor's pickers find them), documents wait
/// for one bulk insert at the end.
pub(crate) fn index_pending(conn: &Connection, documents: bool) -> rusqlite::Result<()> {
    conn.execute_batch(
        "INSERT INTO contacts_fts (rowid, name, email, vat_number, billing_city)
           SELECT c.rid, c.name, c.email, c.vat_number, c.billing_city
           FROM search_pending p JOIN contacts c ON c.rid = p.rid WHERE p.tbl = 'contacts';
         INSERT INTO articles_fts (rowid, code, name)
           SELECT a.rid, a.code, a.name
           FROM search_pending p JOIN articles a ON a.rid = p.rid WHERE p.tbl = 'articles';
         DELETE FROM search_pending WHERE tbl IN ('contacts', 'articles');",
    )?;
    if documents {
        conn.execute_batch(
            "INSERT INTO documents_fts (rowid, number, customer_name, notes)
               SELECT d.rid, d.number, d.customer_name, d.notes
               FROM search_pending p JOIN documents d ON d.rid = p.rid WHERE p.tbl = 'documents';
             DELETE FROM search_pending WHERE tbl = 'documents';",
        )?;
    }
    Ok(())
}

/// Turns what a user typed into an FTS5 query: every word must match the start of a
/// word (`dup mar` finds "Dupont Martine"). Operators and quotes typed by the user are
/// taken as plain text, so no input can make the query fail.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> =
        input.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| format!("\"{t}\"*")).collect();
    if terms.is_empty() { None } else { Some(terms.join(" ")) }
}

/// Contacts and articles first (best match first), then documents (newest first),
/// `limit` of each at most.
pub(crate) fn search(conn: &Connection, input: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
    let Some(query) = fts_query(input) else {
        return Ok(Vec::new());
    };
    let mut hits = Vec::new();
    for (kind, sql) in [
        (
            SearchKind::Contact,
            "SELECT c.id, c.name, c.billing_postcode || ' ' || c.billing_city
             FROM contacts_fts JOIN contacts c ON c.rid = contacts_fts.rowid
             WHERE contacts_fts MATCH ?1 ORDER BY rank LIMIT ?2",
        ),
        (
            SearchKind::Article,
            "SELECT a.id, a.name, a.code
             FROM articles_fts JOIN articles a ON a.rid = articles_fts.rowid
             WHERE articles_fts MATCH ?1 ORDER BY rank LIMIT ?2",
        ),
    ] {
        let mut stmt = conn.prepare_cached(sql)?;
        for row in stmt.query_map(rusqlite::params![query, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            let (id, title, detail) = row?;
            hits.push(SearchHit { kind, id, title, detail });
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.kind, ifnull(d.number, ''), d.customer_name || ' · ' || d.issue_date
         FROM documents_fts JOIN documents d ON d.rid = documents_fts.rowid
         WHERE documents_fts MATCH ?1 ORDER BY documents_fts.rowid DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(rusqlite::params![query, limit], |r| {
        Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
    })?;
    for row in rows {
        let (id, kind, title, detail) = row?;
        let kind = DocumentKind::parse(&kind).map_err(|e| corrupt("documents.kind", &kind, &e))?;
        hits.push(SearchHit { kind: SearchKind::Document(kind), id, title, detail });
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_input_becomes_prefix_terms() {
        assert_eq!(fts_query("dup mar").as_deref(), Some("\"dup\"* \"mar\"*"));
        assert_eq!(fts_query("FA-2026-001").as_deref(), Some("\"FA\"* \"2026\"* \"001\"*"));
        assert_eq!(fts_query("\"OR\" NEAR(").as_deref(), Some("\"OR\"* \"NEAR\"*"));
        assert_eq!(fts_query("  -- "), None);
    }
}
