package pkggroup_test

import (
	"fmt"

	"github.com/arca-repo/arca/internal/pkggroup"
)

func ExampleParse() {
	for _, s := range []string{"/npm/space/anycompany-ui~", "/python//requests$", "/npm/space/foo-~", "/pypi//Requests$"} {
		p, err := pkggroup.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p, p.Format())
	}
	// Output:
	// /npm/space/anycompany-ui~ npm
	// /pypi//requests$ pypi
	// ValidationException: Package group pattern '/npm/space/foo-~': a ~ suffix must follow a word character (a letter, a number or a combining mark that ends a word).
	// ValidationException: Package group pattern '/pypi//Requests$' must use the normalized package name 'requests'.
}

func ExampleTree_Match() {
	t, _ := pkggroup.NewTree([]string{"/npm/*", "/npm/space/*", "/npm/space/anycompany~", "/npm//react$"})
	for _, p := range [][2]string{{"space", "anycompany-ui"}, {"space", "anycompanyui"}, {"", "react"}, {"", "React"}, {"", "lodash"}} {
		g, s := t.Match("npm", p[0], p[1])
		fmt.Printf("%s/%s: %s %s\n", p[0], p[1], g, s)
	}
	fmt.Println(t.Parent("/npm/space/anycompany~"), t.Children("/npm/*"))
	// Output:
	// space/anycompany-ui: /npm/space/anycompany~ STRONG
	// space/anycompanyui: /npm/space/* STRONG
	// /react: /npm//react$ STRONG
	// /React: /npm//react$ WEAK
	// /lodash: /npm/* STRONG
	// /npm/space/* [/npm//react$ /npm/space/*]
}
