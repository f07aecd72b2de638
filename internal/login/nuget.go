package login

import (
	"fmt"
	"path/filepath"
	"strings"
)

// nuget and dotnet logins: NuGet.Config (the dotnet CLI's
// ~/.nuget/NuGet/NuGet.Config, Mono nuget.exe's ~/.config/NuGet/NuGet.Config)
// gets <packageSources><add
// key="NAME" value="ENDPOINTv3/index.json"/> and, in the user's file,
// <packageSourceCredentials><NAME> with Username aws and the token as
// ClearTextPassword (NuGet encrypts passwords only on Windows). With
// --project the source goes into the project's nuget.config and the
// credentials stay in the user's file, which NuGet merges with it.

func init() {
	register(Tool{Name: "nuget", Format: "nuget", Project: true, plan: func(t Target) (Plan, error) { return planNuget(t, "nuget") }})
	register(Tool{Name: "dotnet", Format: "nuget", Project: true, plan: func(t Target) (Plan, error) { return planNuget(t, "dotnet") }})
}

const emptyNugetConfig = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
</configuration>
`

// nugetUserConfig is the user's NuGet.Config: the dotnet CLI's
// ~/.nuget/NuGet/NuGet.Config, or, for nuget.exe under Mono, the
// application-data folder's $XDG_CONFIG_HOME/NuGet/NuGet.Config.
func (t Target) nugetUserConfig(tool string) string {
	if tool == "nuget" {
		return filepath.Join(t.userConfigDir(), "NuGet", "NuGet.Config")
	}
	return filepath.Join(t.Home, ".nuget", "NuGet", "NuGet.Config")
}

// nugetElementName encodes a source name as NuGet does for the element
// under packageSourceCredentials (a space is _x0020_).
func nugetElementName(name string) string {
	var b strings.Builder
	for i, r := range name {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9')
		if ok {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_x%04X_", r)
		}
	}
	return b.String()
}

func planNuget(t Target, tool string) (Plan, error) {
	source := t.Endpoint + "v3/index.json"
	user := t.nugetUserConfig(tool)
	var p Plan
	edit := func(path string, f func(*xmlEditor) error) error {
		data, err := readFile(path)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			data = []byte(emptyNugetConfig)
		}
		e := newXMLEditor(data)
		if root, err := e.root(); err != nil {
			return fmt.Errorf("%s: not well-formed XML: %w", path, err)
		} else if root.name != "configuration" {
			return fmt.Errorf("%s: root element is <%s>, not <configuration>", path, root.name)
		}
		if err := f(e); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		p.Files = append(p.Files, File{Path: path, Data: e.data, Secret: path == user})
		return nil
	}
	addSource := func(e *xmlEditor) error {
		return e.upsert([]string{"packageSources"}, attrIs("add", "key", t.Name),
			xel{name: "add", attrs: [][2]string{{"key", t.Name}, {"value", source}}})
	}
	addCreds := func(e *xmlEditor) error {
		el := nugetElementName(t.Name)
		return e.upsert([]string{"packageSourceCredentials"}, func(n *xmlNode) bool { return n.name == el },
			xel{name: el, children: []xel{
				{name: "add", attrs: [][2]string{{"key", "Username"}, {"value", "aws"}}},
				{name: "add", attrs: [][2]string{{"key", "ClearTextPassword"}, {"value", t.Token}}},
			}})
	}
	if t.Project {
		if err := edit(filepath.Join(t.Dir, "nuget.config"), addSource); err != nil {
			return p, err
		}
		if err := edit(user, addCreds); err != nil {
			return p, err
		}
	} else if err := edit(user, func(e *xmlEditor) error {
		if err := addSource(e); err != nil {
			return err
		}
		return addCreds(e)
	}); err != nil {
		return p, err
	}
	p.Notes = []string{"push with: dotnet nuget push PKG.nupkg --source " + t.Name + " --api-key unused (nuget: nuget push PKG.nupkg -Source " + t.Name + " -ApiKey unused); the API key is not a credential"}
	return p, nil
}
