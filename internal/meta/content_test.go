package meta

import "testing"

func TestWritesStructure(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT p.id FROM packages p WHERE id = $1 FOR UPDATE": false,
		"  INSERT INTO package_versions\n (id, package_id)":    false,
		"insert into assets(version_id, name) VALUES ($1, $2)": false,
		"UPDATE packages SET origin_publish = $1":              false,
		"DELETE FROM dist_tags WHERE package_id = $1":          false,
		"DELETE FROM repositories WHERE id = $1":               true,
		"INSERT INTO resource_policies (arn) VALUES ($1)":      true,
		"UPDATE repositories SET description = $1":             true,
		"WITH del AS (DELETE FROM domains) SELECT 1":           true,
		"INSERT INTO package_group_versions VALUES ($1)":       true,
		"DELETE FROM tags": true,
		"TRUNCATE assets":  true,
		"INSERT assets":    true,
		"":                 false,
	} {
		if got := WritesStructure(sql); got != want {
			t.Errorf("WritesStructure(%q) = %v, want %v", sql, got, want)
		}
	}
}
