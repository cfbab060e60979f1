-- The references trigger parsed the records' JSON with PostgreSQL's JSON functions, which
-- refuse the escape \u0000 (text cannot hold it) although JSON allows it in any string:
-- a record the server accepted (a line's description of "\u0000", say) failed to be
-- stored. The trigger now reads a copy whose \u0000 are \u0001: the same JSON (only a
-- hex digit changes, whether the backslash before it escapes or is escaped), and the
-- ids it reads are UUIDs, which hold neither. The stored body is not touched.
CREATE OR REPLACE FUNCTION record_refs_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json;
    lines json;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM record_refs
         WHERE company_id = NEW.company_id AND source_kind = NEW.kind AND source = NEW.id;
    END IF;
    IF NEW.body IS NULL THEN
        RETURN NULL;
    END IF;
    body := replace(NEW.body, '\u0000', '\u0001')::json;
    lines := body #> '{record,document,lines}';
    IF lines IS NULL OR json_typeof(lines) <> 'array' THEN
        lines := '[]'::json;
    END IF;
    INSERT INTO record_refs (company_id, target, source_kind, source)
    SELECT NEW.company_id, target, NEW.kind, NEW.id FROM (
        SELECT body #>> '{record,document,contact_id}' AS target
        UNION SELECT line ->> 'article_id' FROM json_array_elements(lines) AS line
        UNION SELECT body #>> '{record,contact_id}'
    ) AS targets WHERE target IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
