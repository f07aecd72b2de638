package meta

import "strings"

// sortDigits is the width numeric runs are padded to in a sort key.
const sortDigits = 20

// Bytes that stand in for '-' and for the end of a version in a sort key:
// below every printable character, and the dash below the end, so that a
// pre-release sorts before its release ("1.0.0-rc.1" < "1.0.0" < "1.0.0.1").
const (
	sortDash = '\x01'
	sortEnd  = '\x02'
)

// VersionSortKey maps a version string to a key whose byte order is the
// natural order of versions: runs of digits compare as numbers
// ("1.10.0" after "1.9.0"), a '-' suffix sorts before the bare version, and
// everything else compares byte-wise. Backends order by it so that natural
// order survives keyset pagination.
func VersionSortKey(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] == '-' {
			b.WriteByte(sortDash)
			i++
			continue
		}
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
	b.WriteByte(sortEnd)
	return b.String()
}
