//! The command tags `iris_pgwire_queries_total` counts by: PostgreSQL's own (its
//! cmdtaglist.h, without the row counts), sorted for a binary search, so counting a
//! statement is a lookup and an atomic add, never a map behind a lock.

pub const TAGS: &[&str] = &[
    "ALTER INDEX",
    "ALTER ROLE",
    "ALTER SCHEMA",
    "ALTER SEQUENCE",
    "ALTER TABLE",
    "ALTER VIEW",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CHECKPOINT",
    "CLOSE",
    "CLOSE CURSOR",
    "CLOSE CURSOR ALL",
    "COMMENT",
    "COMMIT",
    "COMMIT PREPARED",
    "COPY",
    "CREATE FUNCTION",
    "CREATE INDEX",
    "CREATE PROCEDURE",
    "CREATE ROLE",
    "CREATE SCHEMA",
    "CREATE SEQUENCE",
    "CREATE TABLE",
    "CREATE TABLE AS",
    "CREATE TRIGGER",
    "CREATE TYPE",
    "CREATE VIEW",
    "DEALLOCATE",
    "DEALLOCATE ALL",
    "DECLARE CURSOR",
    "DELETE",
    "DISCARD ALL",
    "DISCARD PLANS",
    "DISCARD SEQUENCES",
    "DISCARD TEMP",
    "DO",
    "DROP FUNCTION",
    "DROP INDEX",
    "DROP PROCEDURE",
    "DROP ROLE",
    "DROP SCHEMA",
    "DROP SEQUENCE",
    "DROP TABLE",
    "DROP TRIGGER",
    "DROP TYPE",
    "DROP VIEW",
    "EXECUTE",
    "EXPLAIN",
    "FETCH",
    "GRANT",
    "INSERT",
    "LISTEN",
    "LOCK TABLE",
    "MERGE",
    "MOVE",
    "NOTIFY",
    "PREPARE",
    "PREPARE TRANSACTION",
    "REINDEX",
    "RELEASE",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "ROLLBACK PREPARED",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SET CONSTRAINTS",
    "SHOW",
    "START TRANSACTION",
    "TRUNCATE TABLE",
    "UNLISTEN",
    "UPDATE",
    "VACUUM",
];

/// The label of anything not in the list.
pub const OTHER: &str = "other";

/// The tag's command, without PostgreSQL's trailing counts (`INSERT 0 5` is INSERT).
pub fn command_of(tag: &str) -> &str {
    let mut end = tag.len();
    for word in tag.rsplit(' ') {
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        end -= word.len() + 1;
    }
    &tag[..end.min(tag.len())]
}

/// Index of a tag's command in `TAGS`, or `TAGS.len()` for `OTHER`.
pub fn index(tag: &str) -> usize {
    TAGS.binary_search(&command_of(tag)).unwrap_or(TAGS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_sorted_and_counts_dropped() {
        assert!(TAGS.windows(2).all(|w| w[0] < w[1]), "TAGS must stay sorted");
        assert_eq!(command_of("INSERT 0 5"), "INSERT");
        assert_eq!(command_of("SELECT 12"), "SELECT");
        assert_eq!(command_of("CREATE TABLE"), "CREATE TABLE");
        assert_eq!(TAGS[index("UPDATE 3")], "UPDATE");
        assert_eq!(index("WHATEVER 1"), TAGS.len());
    }
}
