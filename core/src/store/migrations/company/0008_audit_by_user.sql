-- Version 8: each member's last action, for the Users screen's "last activity".
CREATE INDEX audit_by_user ON audit_trail (user_id, seq) WHERE user_id IS NOT NULL;
