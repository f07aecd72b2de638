package login

import "testing"

func TestSetNetrc(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "machine h login aws password T\n"},
		{"no final newline", "machine a login x password y", "machine a login x password y\nmachine h login aws password T\n"},
		{"multi-line entry", "machine h\n  login old\n  password OLD\n\nmachine z login q password r\n",
			"machine h\n  login aws\n  password T\n\nmachine z login q password r\n"},
		{"entry without password", "machine h login old\nmachine z login q password r\n",
			"machine h password T login aws\nmachine z login q password r\n"},
		{"before default", "machine a login x password y\ndefault login anonymous password me\n",
			"machine a login x password y\nmachine h login aws password T\ndefault login anonymous password me\n"},
		{"macdef kept", "macdef init\nmachine h login fake password fake\n\nmachine h login old password OLD\n",
			"macdef init\nmachine h login fake password fake\n\nmachine h login aws password T\n"},
		{"other host with same prefix", "machine h2 login x password y\n", "machine h2 login x password y\nmachine h login aws password T\n"},
		{"comment", "# machine h login c password c\n", "# machine h login c password c\nmachine h login aws password T\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(setNetrc([]byte(c.in), "h", "aws", "T"))
			if got != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
			if again := string(setNetrc([]byte(got), "h", "aws", "T")); again != got {
				t.Errorf("not idempotent:\n%q", again)
			}
		})
	}
}
