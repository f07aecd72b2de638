package meta

import "strings"

// contentTables are the tables, in both stores' schemas, whose writes
// leave the structure (domains, repositories, policies, package groups,
// IAM, tags) as it was: what a publish, a status change, a copy or a
// dispose writes. See StructureGenerationer.
var contentTables = map[string]bool{
	"packages":         true,
	"package_versions": true,
	"assets":           true,
	"dist_tags":        true,
	"blob_rows":        true,
}

// WritesStructure reports whether the SQL statement sql may write anything
// but content tables, for a store that keeps a StructureGeneration. Reads
// are SELECTs; a write is recognised by its first words (INSERT INTO t,
// UPDATE t, DELETE FROM t); anything else (WITH, SAVEPOINT, a function
// call, DDL) counts as structural, which is always safe.
func WritesStructure(sql string) bool {
	verb, rest := word(sql)
	var table string
	switch strings.ToUpper(verb) {
	case "":
		return false
	case "SELECT":
		return false
	case "INSERT", "DELETE":
		prep, rest := word(rest)
		if !strings.EqualFold(prep, "INTO") && !strings.EqualFold(prep, "FROM") {
			return true
		}
		table, _ = word(rest)
	case "UPDATE":
		table, _ = word(rest)
	default:
		return true
	}
	if i := strings.IndexByte(table, '('); i >= 0 {
		table = table[:i] // INSERT INTO assets(version_id, …)
	}
	return !contentTables[strings.ToLower(table)]
}

// word splits off s's first whitespace-separated word.
func word(s string) (w, rest string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := strings.IndexAny(s, " \t\r\n")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}
