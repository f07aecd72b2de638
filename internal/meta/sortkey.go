package meta

import "strings"

// sortDigits is the width numeric runs are padded to in a sort key.
const sortDigits = 20

// VersionSortKey maps a version string to a key whose byte order is the
// natural order of versions: runs of digits compare as numbers
// ("1.10.0" after "1.9.0"), everything else byte-wise. Backends order by it
// so that natural order survives keyset pagination.
func VersionSortKey(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] < '0' || v[i] > '9' {
			b.WriteByte(v[i])
			i++
			continue
		}
		j := i
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		run := strings.TrimLeft(v[i:j], "0")
		if len(run) < sortDigits {
			b.WriteString(strings.Repeat("0", sortDigits-len(run)))
		}
		b.WriteString(run)
		i = j
	}
	return b.String()
}
