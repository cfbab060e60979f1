-- Version 26: the same CHECK constraints, written as comparisons instead of lists.
--
-- SQLite checks `x IN (a, b, c, …)` of more than two constants against a temporary
-- B-tree that it opens, fills and closes anew every time the statement runs. Each
-- document written opened two (its kind and its status), each of its lines one when it
-- has a VAT category, each contact with a language, each replica row, search entry,
-- shadow and outbox row one. Without them, the first download of 126k records took
-- 4.86-4.93 s of the writing thread's CPU instead of 5.66-5.70 s (three runs each).
-- `x = a OR x = b OR …` accepts exactly the same values and compiles to plain
-- comparisons.
--
-- Only the text of the constraints changes, to an equivalent one, and no row is touched:
-- the change SQLite documents for this case is an edit of the schema's text
-- (https://sqlite.org/lang_altertable.html#otheralter), which is cheap on a file of a
-- million documents where rebuilding the tables would copy them all.
PRAGMA writable_schema = ON;

UPDATE sqlite_schema
SET sql = replace(replace(sql,
        'kind IN (''quote'', ''invoice'', ''credit_note'', ''delivery_note'')',
        'kind = ''quote'' OR kind = ''invoice'' OR kind = ''credit_note'' OR kind = ''delivery_note'''),
        'status IN (''draft'', ''issued'', ''accepted'', ''declined'', ''converted'', ''partially_paid'', ''paid'')',
        'status = ''draft'' OR status = ''issued'' OR status = ''accepted'' OR status = ''declined'''
            || ' OR status = ''converted'' OR status = ''partially_paid'' OR status = ''paid''')
WHERE type = 'table' AND name = 'documents';

UPDATE sqlite_schema
SET sql = replace(sql,
        'vat_category IN (''S'', ''Z'', ''E'', ''AE'', ''K'', ''G'', ''O'')',
        'vat_category = ''S'' OR vat_category = ''Z'' OR vat_category = ''E'' OR vat_category = ''AE'''
            || ' OR vat_category = ''K'' OR vat_category = ''G'' OR vat_category = ''O''')
WHERE type = 'table' AND name = 'document_lines';

UPDATE sqlite_schema
SET sql = replace(sql,
        'kind IN (''contact'', ''article'', ''document'', ''payment'', ''settings'', ''member'', ''audit'', ''posting'')',
        'kind = ''contact'' OR kind = ''article'' OR kind = ''document'' OR kind = ''payment'''
            || ' OR kind = ''settings'' OR kind = ''member'' OR kind = ''audit'' OR kind = ''posting''')
WHERE type = 'table' AND name = 'replica';

UPDATE sqlite_schema
SET sql = replace(sql,
        'kind IN (''contact'', ''article'', ''document'', ''payment'', ''settings'')',
        'kind = ''contact'' OR kind = ''article'' OR kind = ''document'' OR kind = ''payment'' OR kind = ''settings''')
WHERE type = 'table' AND name = 'shadow';

UPDATE sqlite_schema
SET sql = replace(sql,
        'tbl IN (''contacts'', ''articles'', ''documents'')',
        'tbl = ''contacts'' OR tbl = ''articles'' OR tbl = ''documents''')
WHERE type = 'table' AND name = 'search_pending';

UPDATE sqlite_schema
SET sql = replace(sql,
        'state IN (''pending'', ''applied'', ''rejected'')',
        'state = ''pending'' OR state = ''applied'' OR state = ''rejected''')
WHERE type = 'table' AND name = 'outbox';

UPDATE sqlite_schema
SET sql = replace(sql,
        'language IN (''fr'', ''nl'', ''en'')',
        'language = ''fr'' OR language = ''nl'' OR language = ''en''')
WHERE type = 'table' AND name = 'contacts';

-- This connection reads the schema again.
PRAGMA writable_schema = RESET;

-- Other connections to the file read it again when its schema cookie moves, which an
-- edit of the schema's text does not do and any schema statement does.
CREATE TABLE schema_cookie_moved (unused INTEGER);
DROP TABLE schema_cookie_moved;
